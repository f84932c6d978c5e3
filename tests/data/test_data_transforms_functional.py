"""The transform functions (minicnn.data.transforms.functional): each gives what its class
gives, for the same parameters (the random classes reseeded and their draws replayed), in
every layout; and the functions' own checks."""
import numpy as np
import pytest

import minicnn as mc
from minicnn.data import transforms as T
from minicnn.data.rng import generator
from minicnn.data.transforms import functional as TF


def rgb(h=6, w=8, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def chw(img):
    """The float C×H×W version of an H×W×C uint8 image (what ToTensor makes)."""
    return img.transpose(2, 0, 1).astype(np.float32) / 255


LAYOUTS = [rgb(7, 9), chw(rgb(7, 9)), rgb(7, 9)[:, :, 0]]


def same(a, b):
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)


# ---- deterministic classes: the function with the class's arguments --------------------------

@pytest.mark.parametrize("img", [rgb(3, 4), rgb(3, 4)[:, :, 0], chw(rgb(3, 4))])
def test_to_tensor(img):
    same(TF.to_tensor(img), T.ToTensor()(img))


@pytest.mark.parametrize("inplace", [False, True])
def test_normalize(inplace):
    x = chw(rgb(4, 5))
    expected = T.Normalize((0.5, 0.4, 0.3), (0.2, 0.25, 0.5))(x.copy())
    same(TF.normalize(x, (0.5, 0.4, 0.3), (0.2, 0.25, 0.5), inplace=inplace), expected)
    if inplace:
        same(x, expected)


@pytest.mark.parametrize("img", LAYOUTS)
@pytest.mark.parametrize("padding, fill, mode", [(2, 0, "constant"), ((1, 0, 2, 3), 9, "constant"),
                                                 ((1, 2), 0, "edge"), (2, 0, "reflect"),
                                                 (3, 0, "symmetric")])
def test_pad(img, padding, fill, mode):
    same(TF.pad(img, padding, fill, mode), T.Pad(padding, fill, mode)(img))


@pytest.mark.parametrize("img", LAYOUTS)
@pytest.mark.parametrize("size", [3, (4, 5), (9, 12)])     # (9, 12) pads first
def test_center_crop(img, size):
    same(TF.center_crop(img, size), T.CenterCrop(size)(img))


@pytest.mark.parametrize("img", LAYOUTS)
@pytest.mark.parametrize("size", [4, (5, 11), (3, 3)])
def test_resize(img, size):
    same(TF.resize(img, size), T.Resize(size)(img))
    same(TF.resize(img, size, "nearest"), T.Resize(size, "nearest")(img))


# ---- random classes: the draws replayed from the same seed ------------------------------------

@pytest.mark.parametrize("img", LAYOUTS)
def test_hflip_and_vflip(img):
    same(TF.hflip(img), T.RandomHorizontalFlip(p=1)(img))
    rows = 0 if img.ndim == 2 or img.dtype.kind != "f" else 1
    same(TF.vflip(img), np.ascontiguousarray(np.flip(img, rows)))
    same(TF.hflip(TF.hflip(img)), img)


@pytest.mark.parametrize("img", LAYOUTS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_crop_after_pad_is_random_crop(img, seed):
    mc.manual_seed(seed)
    out = T.RandomCrop((5, 6), padding=2, fill=3)(img)
    padded = TF.pad(img, 2, fill=3)
    h, w = TF.get_size(padded)
    mc.manual_seed(seed)
    rng = generator()
    top, left = int(rng.integers(0, h - 5 + 1)), int(rng.integers(0, w - 6 + 1))
    same(TF.crop(padded, top, left, 5, 6), out)


@pytest.mark.parametrize("img", LAYOUTS)
def test_resized_crop_is_random_resized_crop(img):
    transform = T.RandomResizedCrop((5, 4), scale=(0.3, 0.9))
    mc.manual_seed(4)
    params = transform.get_params(*TF.get_size(img))
    mc.manual_seed(4)
    same(TF.resized_crop(img, *params, (5, 4)), transform(img))


@pytest.mark.parametrize("img", LAYOUTS)
def test_resize_of_a_drawn_side_is_random_scale(img):
    mc.manual_seed(5)
    out = T.RandomScale(4, 11)(img)
    mc.manual_seed(5)
    same(TF.resize(img, int(generator().integers(4, 12))), out)


@pytest.mark.parametrize("img", LAYOUTS)
@pytest.mark.parametrize("expand, fill", [(False, 0), (True, 7)])
def test_rotate_is_random_rotation_with_a_fixed_angle(img, expand, fill):
    fill = fill / 255 if img.dtype.kind == "f" else fill
    same(TF.rotate(img, 30.0, expand=expand, fill=fill),
         T.RandomRotation((30, 30), expand=expand, fill=fill)(img))


@pytest.mark.parametrize("img", [rgb(5, 6), chw(rgb(5, 6)), rgb(5, 6)[:, :, 0]])
@pytest.mark.parametrize("which", ["brightness", "contrast", "saturation"])
def test_adjustments_are_color_jitter_with_one_fixed_factor(img, which):
    adjust = {"brightness": TF.adjust_brightness, "contrast": TF.adjust_contrast,
              "saturation": TF.adjust_saturation}[which]
    same(adjust(img, 0.6), T.ColorJitter(**{which: (0.6, 0.6)})(img))
    same(adjust(img, 1.0), T.ColorJitter()(img))


@pytest.mark.parametrize("img", LAYOUTS)
def test_gaussian_noise(img):
    mc.manual_seed(6)
    out = T.GaussianNoise(mean=0.1, sigma=0.2, clip=False)(img)
    mc.manual_seed(6)
    same(TF.gaussian_noise(img, mean=0.1, sigma=0.2, clip=False), out)


# ---- the functions' own behaviour --------------------------------------------------------------

def test_the_adjustments_do_what_they_say():
    x = np.full((3, 2, 2), 0.4, np.float32)
    x[0] = 0.8
    np.testing.assert_allclose(TF.adjust_brightness(x, 0.5), x * 0.5)
    grey = TF.adjust_saturation(x, 0.0)
    np.testing.assert_allclose(grey[0], grey[1], rtol=1e-6)
    np.testing.assert_allclose(TF.adjust_contrast(x, 0.0), np.full_like(x, grey.mean()),
                               rtol=1e-6)
    assert TF.adjust_brightness(x, 3.0).max() == 1.0                 # clipped to [0, 1]


@pytest.mark.parametrize("img, size", [(rgb(7, 9), (7, 9)), (chw(rgb(7, 9)), (7, 9)),
                                       (rgb(7, 9)[:, :, 0], (7, 9))])
def test_get_size_reads_every_layout(img, size):
    assert TF.get_size(img) == size


def test_crop_refuses_a_window_outside_the_image():
    assert TF.crop(rgb(6, 8), 2, 3, 4, 5).shape == (4, 5, 3)
    with pytest.raises(ValueError, match=r"crop: the window .* image of size \(6, 8\)"):
        TF.crop(rgb(6, 8), 3, 3, 4, 5)
    with pytest.raises(ValueError, match="resized_crop"):
        TF.resized_crop(rgb(6, 8), -1, 0, 2, 2, 4)


@pytest.mark.parametrize("call, error, match", [
    (lambda: TF.pad(rgb(), 1, padding_mode="wrap"), ValueError, "pad: padding_mode"),
    (lambda: TF.resize(rgb(), 0), ValueError, "resize: size must be positive"),
    (lambda: TF.rotate(rgb(), 10, interpolation="cubic"), ValueError, "rotate: interpolation"),
    (lambda: TF.normalize(chw(rgb()), 0.5, 0), ValueError, "normalize: std"),
    (lambda: TF.adjust_contrast(np.zeros((4, 4, 2), np.uint8), 0.5), ValueError, "2"),
    (lambda: TF.hflip([[1, 2]]), TypeError, "hflip"),
])
def test_bad_arguments_name_the_function(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_the_package_exports_the_classes_and_the_functions():
    import minicnn.data.transforms.functional as functional

    assert functional is TF and T.functional is TF
    assert set(TF.__all__) <= set(dir(TF)) and set(T.__all__) <= set(dir(T))
