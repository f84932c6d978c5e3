"""Transforms: hand-computed expectations, shapes, dtypes, ranges, seeding and reprs."""
import numpy as np
import pytest

import minicnn as mc
from minicnn.data import transforms as T


def rgb(h=6, w=8, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def chw(img):
    """The float C×H×W version of an H×W×C uint8 image (what ToTensor makes)."""
    return img.transpose(2, 0, 1).astype(np.float32) / 255


# ---- ToTensor and Normalize -----------------------------------------------------------------

def test_to_tensor_hwc_uint8():
    img = rgb(3, 4)
    out = T.ToTensor()(img)
    assert isinstance(out, mc.Tensor) and not out.requires_grad
    assert out.shape == (3, 3, 4) and out.dtype == np.float32
    assert out[2, 1, 3].item() == pytest.approx(img[1, 3, 2] / 255)
    assert out.min().item() >= 0 and out.max().item() <= 1
    full = T.ToTensor()(np.array([[0, 255]], dtype=np.uint8))
    assert full.shape == (1, 1, 2)
    np.testing.assert_array_equal(full.numpy(), [[[0.0, 1.0]]])


def test_tensors_go_through_the_transforms_after_to_tensor():
    """As with torchvision: Normalize, flips, crops, resizing and a Lambda of tensor ops take
    the Tensor ToTensor made and give a Tensor back."""
    img = rgb(8, 10)
    pipeline = T.Compose([T.ToTensor(), T.RandomHorizontalFlip(1.0), T.CenterCrop(6),
                          T.Pad(1), T.Resize((4, 5)), T.Normalize((0.5,) * 3, (0.25,) * 3),
                          T.Lambda(lambda x: mc.flatten(x))])
    out = pipeline(img)
    assert isinstance(out, mc.Tensor) and out.shape == (3 * 4 * 5,) and out.dtype == mc.float32
    as_arrays = T.Compose([T.ToTensor(), T.Lambda(lambda x: x.numpy()),
                           T.RandomHorizontalFlip(1.0), T.CenterCrop(6), T.Pad(1),
                           T.Resize((4, 5)), T.Normalize((0.5,) * 3, (0.25,) * 3)])
    np.testing.assert_allclose(out.numpy(), as_arrays(img).reshape(-1), rtol=1e-6)


def test_a_uint8_tensor_is_channels_first_as_torchvision_takes_it():
    chw_image = mc.tensor(rgb(6, 8).transpose(2, 0, 1).copy())
    flipped = T.RandomHorizontalFlip(1.0)(chw_image)
    assert isinstance(flipped, mc.Tensor) and flipped.dtype == mc.uint8
    np.testing.assert_array_equal(flipped.numpy(), chw_image.numpy()[:, :, ::-1])
    assert T.CenterCrop(4)(chw_image).shape == (3, 4, 4)


def test_normalize_in_place_writes_into_the_tensor():
    x = T.ToTensor()(rgb(2, 2))
    assert T.Normalize(0.5, 0.5, inplace=True)(x) is x
    assert x.min().item() < 0


def test_to_tensor_refuses_a_tensor_as_torchvision():
    with pytest.raises(TypeError, match="to_tensor: pic should be a NumPy array or a Pillow "
                                        "image, got a Tensor"):
        T.ToTensor()(mc.zeros(3, 2, 2))


@pytest.mark.parametrize("img, shape", [
    (np.zeros((5, 7), np.float64), (1, 5, 7)),
    (np.zeros((2, 5, 7), np.float32), (2, 5, 7)),
])
def test_to_tensor_float_input_is_already_chw(img, shape):
    out = T.ToTensor()(img)
    assert out.shape == shape and out.dtype == np.float32


@pytest.mark.parametrize("img, error", [
    (np.zeros((2, 2), np.int32), TypeError),
    (np.zeros((1, 2, 2, 3), np.uint8), ValueError),
    ([[1, 2]], TypeError),
])
def test_to_tensor_rejects(img, error):
    with pytest.raises(error):
        T.ToTensor()(img)


def test_normalize_per_channel():
    x = np.stack([np.full((2, 2), 0.5), np.full((2, 2), 1.0)]).astype(np.float32)
    out = T.Normalize((0.5, 0.2), (0.25, 0.4))(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0], 0.0)
    np.testing.assert_allclose(out[1], 2.0)
    np.testing.assert_allclose(T.Normalize(0.5, 0.5)(x)[1], 1.0)
    np.testing.assert_allclose(x[1], 1.0)  # not in place by default


@pytest.mark.parametrize("make, img, error, match", [
    (lambda: T.Normalize((0.5, 0.5), (1, 1)), np.zeros((3, 2, 2), np.float32), ValueError,
     "3 channels"),
    (lambda: T.Normalize(0.5, 1), np.zeros((2, 2, 3), np.uint8), TypeError, "ToTensor"),
    (lambda: T.Normalize(0.5, 0), None, ValueError, "zeros"),
])
def test_normalize_errors(make, img, error, match):
    with pytest.raises(error, match=match):
        make()(img)


# ---- Pad, CenterCrop, Resize: hand-computed ---------------------------------------------------

def test_pad_constant_sides_and_fill():
    img = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    out = T.Pad((1, 0, 2, 1), fill=9)(img)  # left, top, right, bottom
    np.testing.assert_array_equal(out, [[9, 1, 2, 9, 9],
                                        [9, 3, 4, 9, 9],
                                        [9, 9, 9, 9, 9]])
    assert T.Pad(2)(img).shape == (6, 6)
    assert T.Pad((1, 2))(img).shape == (6, 4)


def test_pad_per_channel_fill_and_modes():
    img = rgb(2, 2)
    out = T.Pad(1, fill=(10, 20, 30))(img)
    np.testing.assert_array_equal(out[0, 0], [10, 20, 30])
    np.testing.assert_array_equal(out[1:3, 1:3], img)
    np.testing.assert_array_equal(T.Pad(1, padding_mode="edge")(img)[0, 0], img[0, 0])
    np.testing.assert_array_equal(T.Pad(1, padding_mode="reflect")(img)[0, 0], img[1, 1])


def test_pad_chw_float_pads_height_and_width():
    x = chw(rgb(2, 3))
    out = T.Pad(1, fill=0.5)(x)
    assert out.shape == (3, 4, 5) and out.dtype == np.float32
    np.testing.assert_array_equal(out[:, 1:3, 1:4], x)
    assert np.all(out[:, 0] == 0.5)


@pytest.mark.parametrize("shape, size, rows, cols", [
    ((5, 5), 3, slice(1, 4), slice(1, 4)),
    ((6, 8), (2, 4), slice(2, 4), slice(2, 6)),
    ((4, 4), 1, slice(2, 3), slice(2, 3)),  # round(1.5) = 2, torchvision's rule
    ((5, 6), (5, 6), slice(0, 5), slice(0, 6)),
])
def test_center_crop(shape, size, rows, cols):
    img = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape)
    np.testing.assert_array_equal(T.CenterCrop(size)(img), img[rows, cols])


def test_center_crop_larger_than_image_pads_with_zeros():
    img = np.full((2, 2), 7, np.uint8)
    out = T.CenterCrop(4)(img)
    np.testing.assert_array_equal(out, [[0, 0, 0, 0], [0, 7, 7, 0], [0, 7, 7, 0], [0, 0, 0, 0]])


@pytest.mark.parametrize("img", [np.array([[0, 100]], np.uint8),
                                 np.array([[0, 100]], np.float32)])
def test_resize_bilinear_by_hand(img):
    # half-pixel centres: output x = 0..3 samples input at -0.25, 0.25, 0.75, 1.25
    out = T.Resize((1, 4))(img)
    assert out.dtype == img.dtype
    np.testing.assert_allclose(out, [[0, 25, 75, 100]], atol=1e-4)


@pytest.mark.parametrize("shape, size, expected", [
    ((20, 40, 3), 10, (10, 20, 3)),
    ((40, 20, 3), 10, (20, 10, 3)),
    ((30, 45), 20, (20, 30)),
    ((20, 40, 3), (7, 9), (7, 9, 3)),
    ((20, 40, 3), [10], (10, 20, 3)),
])
def test_resize_shapes(shape, size, expected):
    out = T.Resize(size)(np.zeros(shape, np.uint8))
    assert out.shape == expected and out.dtype == np.uint8


def test_resize_keeps_constant_images_and_chw_layout():
    img = np.full((9, 12, 3), 77, np.uint8)
    np.testing.assert_array_equal(T.Resize(5)(img), 77)
    x = chw(rgb(9, 12))
    out = T.Resize((4, 6))(x)
    assert out.shape == (3, 4, 6) and out.dtype == np.float32


@pytest.mark.parametrize("size", [(9, 14), (16, 16), (8, 5)])
def test_resize_float_upsampling_matches_torch_bilinear(size):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).random((2, 5, 4)).astype(np.float32)
    ours = T.Resize(size)(x)
    theirs = torch.nn.functional.interpolate(torch.tensor(x)[None], size=size, mode="bilinear",
                                             align_corners=False)[0].numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_resize_uint8_matches_float_path():
    img = rgb(10, 14)
    a = T.Resize((7, 9))(img).astype(np.float32)
    b = T.Resize((7, 9))(chw(img)).transpose(1, 2, 0) * 255
    np.testing.assert_allclose(a, b, atol=1.0)


# ---- random geometry --------------------------------------------------------------------------

def windows(big, h, w):
    return [big[i:i + h, j:j + w] for i in range(big.shape[0] - h + 1)
            for j in range(big.shape[1] - w + 1)]


@pytest.mark.parametrize("padding", [None, 2])
def test_random_crop_is_a_window_of_the_padded_image(padding):
    img = rgb(6, 7)
    big = T.Pad(padding)(img) if padding else img
    seen = set()
    for seed in range(20):
        mc.manual_seed(seed)
        out = T.RandomCrop((4, 5), padding=padding)(img)
        assert out.shape == (4, 5, 3) and out.dtype == np.uint8
        matches = [k for k, win in enumerate(windows(big, 4, 5)) if np.array_equal(win, out)]
        assert matches
        seen.add(matches[0])
    assert len(seen) > 3


def test_random_crop_size_checks():
    with pytest.raises(ValueError, match="larger"):
        T.RandomCrop(8)(rgb(6, 6))
    assert T.RandomCrop(8, pad_if_needed=True)(rgb(6, 6)).shape == (8, 8, 3)


@pytest.mark.parametrize("img", [rgb(3, 4), chw(rgb(3, 4)), rgb(3, 4)[:, :, 0]])
def test_horizontal_flip(img):
    axis = -1 if img.dtype.kind == "f" or img.ndim == 2 else 1
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1)(img), np.flip(img, axis))
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0)(img), img)
    mc.manual_seed(0)
    flips = [not np.array_equal(T.RandomHorizontalFlip()(img), img) for _ in range(200)]
    assert 60 < sum(flips) < 140


def test_random_resized_crop_full_scale_is_resize():
    img = rgb(12, 12)
    t = T.RandomResizedCrop(6, scale=(1.0, 1.0), ratio=(1.0, 1.0))
    np.testing.assert_array_equal(t(img), T.Resize((6, 6))(img))


@pytest.mark.parametrize("img", [rgb(20, 30), chw(rgb(20, 30)), rgb(20, 30)[:, :, 0]])
def test_random_resized_crop_shapes(img):
    mc.manual_seed(0)
    for _ in range(10):
        out = T.RandomResizedCrop((8, 9))(img)
        assert out.dtype == img.dtype
        assert out.shape == ((3, 8, 9) if img.dtype.kind == "f" else (8, 9, 3)[:img.ndim])


def test_random_resized_crop_params_stay_inside():
    t = T.RandomResizedCrop(4, scale=(0.1, 0.5))
    mc.manual_seed(1)
    for _ in range(50):
        top, left, h, w = t.get_params(20, 30)
        assert 0 <= top and top + h <= 20 and 0 <= left and left + w <= 30
        assert 0.05 * 600 <= h * w <= 0.55 * 600


@pytest.mark.parametrize("img", [rgb(7, 7), chw(rgb(7, 7)), rgb(7, 7)[:, :, 0]])
def test_random_rotation_exact_angles(img):
    np.testing.assert_array_equal(T.RandomRotation(0)(img), img)
    axes = (1, 2) if img.dtype.kind == "f" else (0, 1)
    np.testing.assert_array_equal(T.RandomRotation((90, 90))(img), np.rot90(img, 1, axes))


def test_random_rotation_fill_and_range():
    img = np.full((9, 9, 3), 200, np.uint8)
    mc.manual_seed(0)
    out = T.RandomRotation((45, 45), fill=(1, 2, 3))(img)
    np.testing.assert_array_equal(out[0, 0], [1, 2, 3])
    assert out[4, 4, 0] == 200
    with pytest.raises(ValueError):
        T.RandomRotation(-5)


def test_random_scale_shorter_side_in_range():
    img = rgb(20, 30)
    mc.manual_seed(0)
    sizes = set()
    for _ in range(30):
        out = T.RandomScale(8, 12)(img)
        h, w = out.shape[:2]
        assert 8 <= h <= 12 and w == int(h * 30 / 20)
        sizes.add(h)
    assert sizes == set(range(8, 13))
    with pytest.raises(ValueError):
        T.RandomScale(10, 5)


# ---- colour and noise ------------------------------------------------------------------------

def test_color_jitter_by_hand():
    img = np.array([[[10, 100, 200], [50, 50, 50]]], np.uint8)
    np.testing.assert_array_equal(T.ColorJitter(brightness=(2, 2))(img),
                                  np.minimum(img.astype(int) * 2, 255))
    gray = img @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_array_equal(T.ColorJitter(contrast=(0, 0))(img),
                                  np.full(img.shape, np.rint(gray.mean())))
    sat = T.ColorJitter(saturation=(0, 0))(img)
    np.testing.assert_array_equal(sat, np.repeat(np.rint(gray)[..., None], 3, axis=2))
    np.testing.assert_array_equal(T.ColorJitter()(img), img)


@pytest.mark.parametrize("img", [rgb(5, 6), chw(rgb(5, 6)), rgb(5, 6)[:, :, 0]])
def test_color_jitter_keeps_layout_dtype_and_range(img):
    mc.manual_seed(0)
    out = T.ColorJitter(0.8, 0.8, 0.8)(img)
    assert out.shape == img.shape and out.dtype == img.dtype
    assert out.min() >= 0 and out.max() <= (1 if img.dtype.kind == "f" else 255)
    assert not np.array_equal(out, img)


def test_gaussian_noise_statistics_and_clipping():
    x = np.full((1, 200, 200), 0.5, np.float32)
    mc.manual_seed(0)
    out = T.GaussianNoise(mean=0.05, sigma=0.1)(x)
    assert out.dtype == np.float32
    assert (out - x).mean() == pytest.approx(0.05, abs=0.005)
    assert (out - x).std() == pytest.approx(0.1, abs=0.005)
    assert out.min() >= 0 and out.max() <= 1
    assert T.GaussianNoise(sigma=2, clip=False)(x).max() > 1
    np.testing.assert_array_equal(T.GaussianNoise(sigma=0)(x), x)
    noisy = T.GaussianNoise(sigma=0.2)(rgb())
    assert noisy.dtype == np.uint8 and noisy.shape == rgb().shape


# ---- every random transform: seeded reproducibility and layouts ---------------------------------

RANDOM = [
    T.RandomCrop(4, padding=1),
    T.RandomHorizontalFlip(),
    T.RandomResizedCrop(5),
    T.ColorJitter(0.5, 0.5, 0.5),
    T.RandomRotation(30),
    T.GaussianNoise(sigma=0.1),
    T.RandomScale(5, 9),
]


@pytest.mark.parametrize("transform", RANDOM, ids=lambda t: type(t).__name__)
def test_random_transforms_follow_manual_seed(transform):
    img = rgb(8, 10)
    mc.manual_seed(11)
    a = transform(img)
    mc.manual_seed(11)
    np.testing.assert_array_equal(transform(img), a)
    outputs = []
    for seed in range(6):
        mc.manual_seed(seed)
        outputs.append(transform(img))
    assert any(o.shape != a.shape or not np.array_equal(o, a) for o in outputs)


@pytest.mark.parametrize("transform", RANDOM + [T.Resize(5), T.CenterCrop(4), T.Pad(1)],
                         ids=lambda t: type(t).__name__)
def test_hwc_and_chw_inputs_give_the_same_geometry(transform):
    img = rgb(8, 10)
    mc.manual_seed(2)
    a = transform(img)
    mc.manual_seed(2)
    b = transform(chw(img))
    assert a.dtype == np.uint8 and b.dtype == np.float32
    assert b.shape == (a.shape[2],) + a.shape[:2]
    np.testing.assert_allclose(b.transpose(1, 2, 0) * 255, a, atol=1.5)


def test_compose_applies_in_order():
    t = T.Compose([T.CenterCrop(4), T.ToTensor(), T.Normalize(0.5, 0.5)])
    out = t(rgb(8, 10))
    assert out.shape == (3, 4, 4) and out.dtype == np.float32
    assert -1 <= out.min() and out.max() <= 1
    with pytest.raises(TypeError):
        T.Compose([1])


@pytest.mark.parametrize("transform, text", [
    (T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.25,))]),
     "Compose(\n    ToTensor()\n    Normalize(mean=(0.5,), std=(0.25,))\n)"),
    (T.Pad(2, fill=1), "Pad(padding=(2, 2, 2, 2), fill=1, padding_mode='constant')"),
    (T.RandomCrop(32, padding=4), "RandomCrop(size=(32, 32), padding=(4, 4, 4, 4))"),
    (T.RandomHorizontalFlip(0.3), "RandomHorizontalFlip(p=0.3)"),
    (T.RandomResizedCrop(224), "RandomResizedCrop(size=(224, 224), scale=(0.08, 1.0), "
                               "ratio=(0.75, 1.3333), interpolation='bilinear')"),
    (T.Resize(256), "Resize(size=256, interpolation='bilinear')"),
    (T.CenterCrop(224), "CenterCrop(size=(224, 224))"),
    (T.ColorJitter(0.4), "ColorJitter(brightness=(0.6, 1.4), contrast=None, saturation=None)"),
    (T.RandomRotation(10), "RandomRotation(degrees=(-10.0, 10.0), interpolation='nearest', "
                           "expand=False, fill=0)"),
    (T.GaussianNoise(), "GaussianNoise(mean=0.0, sigma=0.1, clip=True)"),
    (T.RandomScale(256, 512), "RandomScale(min_size=256, max_size=512, "
                              "interpolation='bilinear')"),
])
def test_reprs(transform, text):
    assert repr(transform) == text


@pytest.mark.parametrize("make", [
    lambda: T.RandomCrop(0), lambda: T.Resize(-1), lambda: T.Pad(-1),
    lambda: T.RandomHorizontalFlip(1.5), lambda: T.ColorJitter(brightness=-1),
    lambda: T.RandomResizedCrop(8, scale=(0.5, 0.1)), lambda: T.Resize(8, "cubic"),
    lambda: T.GaussianNoise(sigma=-1), lambda: T.Pad(1, padding_mode="wrap"),
])
def test_bad_arguments_fail_at_construction(make):
    with pytest.raises(ValueError):
        make()


def test_bad_images_are_named_by_the_function_that_refuses_them():
    with pytest.raises(ValueError, match=r"center_crop.*\(1, 2, 3, 4\)"):
        T.CenterCrop(2)(np.zeros((1, 2, 3, 4), np.uint8))
    with pytest.raises(TypeError, match="resize"):
        T.Resize(2)("not an image")


def test_pillow_images_are_accepted():
    from PIL import Image

    img = rgb(6, 6)
    np.testing.assert_array_equal(T.CenterCrop(2)(Image.fromarray(img)), img[2:4, 2:4])
