"""Write tests/models/fixtures/<name>.json: the reference library's state_dict keys and shapes and
its parameter count, for every zoo model that torchvision, timm or open_clip also has.

Run once, in a virtualenv with those libraries (CI does not install them):
    python tests/models/make_fixtures.py [name ...]
"""
import json
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

TORCHVISION = {name: (name, {}) for name in [
    "alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
    "resnext101_32x8d", "densenet121", "densenet161", "densenet169", "densenet201",
    "mobilenet_v2", "vit_b_16", "vit_b_32"]}
TORCHVISION["googlenet"] = ("googlenet", {"aux_logits": True, "init_weights": True})
TORCHVISION["inception_v3"] = ("inception_v3", {"aux_logits": True, "init_weights": True})

TIMM = {name: (name, {}) for name in [
    "inception_v4", "inception_resnet_v2", "resnetv2_50", "seresnet50", "senet154",
    "vit_tiny_patch16_224", "deit_tiny_patch16_224", "deit_small_patch16_224",
    "deit_base_patch16_224", "deit_tiny_distilled_patch16_224",
    "deit_small_distilled_patch16_224", "deit_base_distilled_patch16_224"]}
TIMM["mobilenet_v1"] = ("mobilenetv1_100", {})

OPEN_CLIP = {"clip_rn50": ("RN50", {}), "clip_vit_b_32": ("ViT-B-32", {})}


def build(source, reference, kwargs):
    if source == "torchvision":
        import torchvision.models
        return getattr(torchvision.models, reference)(**kwargs)
    if source == "timm":
        import timm
        return timm.create_model(reference, pretrained=False, **kwargs)
    import open_clip
    return open_clip.create_model(reference, pretrained=None, **kwargs)


def write(name, source, reference, kwargs):
    model = build(source, reference, kwargs)
    fixture = {"source": source, "reference": reference, "kwargs": kwargs,
               "params": sum(p.numel() for p in model.parameters()),
               "state_dict": [[k, list(v.shape)] for k, v in model.state_dict().items()]}
    FIXTURES.mkdir(exist_ok=True)
    (FIXTURES / f"{name}.json").write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"{name:36s} {source:12s} {fixture['params']:>12,d} params "
          f"{len(fixture['state_dict']):5d} keys")


def main(names):
    table = {name: ("torchvision",) + entry for name, entry in TORCHVISION.items()}
    table.update({name: ("timm",) + entry for name, entry in TIMM.items()})
    table.update({name: ("open_clip",) + entry for name, entry in OPEN_CLIP.items()})
    for name in names or sorted(table):
        write(name, *table[name])


if __name__ == "__main__":
    main(sys.argv[1:])
