"""The keywords with which torchvision's constructors (`weights=`, `progress=`, and the older
`pretrained=`) and timm's (`pretrained=`) ask for pretrained weights.

Every zoo constructor accepts them, so `resnet18(weights=None)` and
`resnet18(pretrained=False)` build the model as PyTorch programs write it. minicnn downloads
no weights: asking for any raises a ValueError that says how to bring torchvision's in.
"""
import functools


def accepts_weights_keywords(constructor):
    """`constructor` with the keywords `weights=None`, `progress=True` and
    `pretrained=False` added (its signature, as `inspect.signature` reads it, unchanged)."""
    name = constructor.__name__

    @functools.wraps(constructor)
    def build(*args, weights=None, progress=True, pretrained=False, **kwargs):
        if weights is not None or pretrained:
            asked = f"weights={weights!r}" if weights is not None else "pretrained=True"
            raise ValueError(
                f"{name}: minicnn downloads no pretrained weights ({asked}); build the model "
                f"with weights=None and load the weights into it. With PyTorch: "
                f"torch.save(torchvision.models.{name}(weights='DEFAULT').state_dict(), "
                f"'{name}.pth'); then with minicnn: "
                f"model.load_state_dict(minicnn.io.load_torch_file('{name}.pth')) (the "
                f"state_dict keys are torchvision's, or timm's for the models it has)")
        return constructor(*args, **kwargs)

    return build
