"""The papers' training recipes that `minicnn train` follows for the models that have one.

- GoogLeNet and Inception-v3 (through train_command's loss): the auxiliary classifiers'
  cross-entropy is added to the main one with the papers' weights (0.3 for each of
  GoogLeNet's two, 0.4 for Inception-v3's one; `inception_loss`), with --label-smoothing on
  every term (Inception-v3's family default: the paper's 0.1). In eval mode the models
  return their main logits only, so evaluation and prediction see that head.
- AlexNet on colour data, with augmentation: the paper's 224×224 crops of 256×256 images
  (here crops of the training side from images rescaled to 256/224 of it), horizontal
  flips, and PCA colour jitter (`PCAColorJitter`) with the eigen-decomposition of the
  training images' RGB covariance. Grayscale digits have no colour to jitter and are not
  flipped (a mirrored digit is another symbol): AlexNet keeps the digits' usual shifts there.
- VGG, with augmentation: multi-scale training, each image rescaled so that its shorter
  side is S drawn from [S_min, S_max], then a random crop of the training side (and a flip,
  except on digits). The default range is the paper's [256, 512] for 224 crops, scaled to
  the training side; --scale-jitter S_MIN S_MAX sets it in pixels, for any model.
"""
import textwrap

from ..data import transforms as T
from . import datasets
from .errors import UsageError

ALEXNET_RESCALE = 256 / 224          # AlexNet: 224×224 crops of images rescaled to 256
VGG_SCALES = (256 / 224, 512 / 224)  # VGG: S in [256, 512] for 224×224 crops
PCA_ALPHA_STD = 0.1                  # AlexNet: α_i ~ N(0, 0.1²)
PCA_IMAGES = 1000                    # training images, evenly spaced, that rgb_pca reads


def is_vgg(entry):
    """Whether the zoo model is one of VGG's configurations (with or without BatchNorm)."""
    return entry.name.startswith("vgg")


def pca_recipe(entry, source, settings):
    """Whether the run follows AlexNet's recipe: AlexNet, colour data, augmentation."""
    return settings["augment"] and entry.name == "alexnet" and source.channels == 3


def scale_jitter(entry, settings):
    """(S_min, S_max) of the run's multi-scale training, or None: --scale-jitter where given,
    else for VGG with augmentation the paper's range scaled to the training side."""
    given = settings.get("scale_jitter")
    if given is not None:
        return tuple(given)
    if is_vgg(entry) and settings["augment"]:
        side = settings["image_size"]
        return tuple(round(side * ratio) for ratio in VGG_SCALES)
    return None


def check(entry, settings):
    """A UsageError for a --scale-jitter that cannot work with the other settings."""
    given = settings.get("scale_jitter")
    if given is None:
        return
    low, high = given
    flag = f"--scale-jitter {low} {high}"
    if not settings["augment"]:
        raise UsageError(f"{flag}: scale jitter is training augmentation; it does not "
                         f"combine with --no-augment")
    if low > high:
        raise UsageError(f"{flag}: S_MIN must not exceed S_MAX")
    if low < settings["image_size"]:
        raise UsageError(f"{flag}: S_MIN must be at least the training side "
                         f"{settings['image_size']} that is cropped from the rescaled image")


def train_transform(entry, source, train_set, settings, size, channels):
    """The preprocessing of training images: the model's recipe where it has one for this
    data (see the module docstring), else the dataset's usual one (datasets.transform)."""
    augment = settings["augment"]
    digits = source.kind == "digits"
    scales = scale_jitter(entry, settings)
    pca = pca_recipe(entry, source, settings)
    if scales is not None:
        geometry = [T.Pad(2)] if digits else []
        geometry += [T.RandomScale(*scales), T.RandomCrop(size)]
        geometry += [] if digits else [T.RandomHorizontalFlip()]
    elif pca:
        geometry = [T.Resize(round(size * ALEXNET_RESCALE)), T.RandomCrop(size),
                    T.RandomHorizontalFlip()]
    else:
        return datasets.transform(source, True, augment, size, channels)
    colour = [pca_color_jitter(train_set)] if pca else []
    return T.Compose(geometry + datasets.tensor_steps(source, channels, colour))


def pca_color_jitter(train_set):
    """AlexNet's PCA colour jitter with the eigen-decomposition of (up to PCA_IMAGES of) the
    training images, read as stored."""
    eigval, eigvec = T.rgb_pca(train_set, max_images=PCA_IMAGES)
    return T.PCAColorJitter(eigval, eigvec, alpha_std=PCA_ALPHA_STD)


def describe(entry, source, settings):
    """One line naming the recipe's augmentation, or None for the dataset's usual one."""
    scales, side = scale_jitter(entry, settings), settings["image_size"]
    jitter = f"PCA colour jitter (alpha std {PCA_ALPHA_STD:g})"
    if scales is not None:
        line = (f"multi-scale training: shorter side S in [{scales[0]}, {scales[1]}], then "
                f"{side}×{side} crops")
        return f"{line}, {jitter}" if pca_recipe(entry, source, settings) else line
    if pca_recipe(entry, source, settings):
        return (f"AlexNet augmentation: {side}×{side} crops of the image rescaled to "
                f"{round(side * ALEXNET_RESCALE)}, flips, {jitter}")
    return None


def help_text(width):
    """The --help paragraph on the models whose papers' recipes the command follows."""
    return textwrap.fill(
        "papers' recipes: googlenet and inception_v3 add their auxiliary classifiers' losses "
        "(weights 0.3 and 0.4, with --label-smoothing); with --augment, alexnet on colour "
        "data takes crops of the image rescaled to 256/224 of --image-size, flips and PCA "
        "colour jitter (on grayscale digits its usual shifts), and vgg* trains multi-scale "
        "(--scale-jitter, by default VGG's [256, 512] for 224 scaled to --image-size).",
        width)
