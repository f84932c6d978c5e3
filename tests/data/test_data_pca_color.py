"""AlexNet's PCA colour jitter (`PCAColorJitter`, `rgb_pca`) and VGG's multi-scale
`RandomScale`: seeded draws, the offset's covariance against the theory, output sizes,
and errors that name the op, the argument and the value."""
import numpy as np
import pytest

import minicnn as mc
from minicnn.data import DataLoader, Dataset
from minicnn.data import transforms as T

EIGVEC = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0]
EIGVAL = np.array([0.5, 0.2, 0.05])


def correlated_pixels(count, rng):
    """`count` RGB values with covariance EIGVEC diag(EIGVAL) EIGVECᵀ around 0.5."""
    return 0.5 + (rng.standard_normal((count, 3)) * np.sqrt(EIGVAL)) @ EIGVEC.T


def test_rgb_pca_finds_the_covariance_of_the_pixels():
    rng = np.random.default_rng(1)
    images = [correlated_pixels(400, rng).T.reshape(3, 20, 20) for _ in range(25)]
    eigval, eigvec = T.rgb_pca(images)
    pixels = np.concatenate([im.reshape(3, -1).T for im in images])
    expected = np.linalg.eigvalsh(np.cov(pixels.T))[::-1]
    np.testing.assert_allclose(eigval, expected, rtol=1e-10)
    np.testing.assert_allclose(eigval, EIGVAL, rtol=0.05)
    np.testing.assert_allclose(np.abs(eigvec.T @ EIGVEC), np.eye(3), atol=0.02)
    assert eigval[0] >= eigval[1] >= eigval[2]


def test_rgb_pca_reads_a_dataset_of_uint8_images_on_the_unit_scale():
    class Pairs(Dataset):
        def __init__(self):
            self.images = [np.full((4, 4, 3), (0, 0, 0), np.uint8),
                           np.full((4, 4, 3), (255, 255, 255), np.uint8)]

        def __len__(self):
            return 2

        def __getitem__(self, i):
            return self.images[i], i

    eigval, eigvec = T.rgb_pca(Pairs())
    # half the pixels at 0, half at 1, all channels equal: one direction (1, 1, 1)/√3
    assert eigval[0] == pytest.approx(3 * 0.25 * 32 / 31)
    np.testing.assert_allclose(eigval[1:], 0, atol=1e-12)
    np.testing.assert_allclose(np.abs(eigvec[:, 0]), np.full(3, 3 ** -0.5))
    assert T.rgb_pca(Pairs(), max_images=1)[0][0] == pytest.approx(0)


def test_the_offsets_covariance_is_the_theorys():
    """d = P (α ∘ λ) with α ~ N(0, σ² I) has covariance P diag(σ² λ²) Pᵀ and mean 0."""
    jitter = T.PCAColorJitter(EIGVAL, EIGVEC, alpha_std=0.1)
    mc.manual_seed(0)
    blank = np.zeros((3, 1, 1), np.float64)
    offsets = np.array([jitter(blank)[:, 0, 0] for _ in range(20000)])
    theory = EIGVEC @ np.diag((0.1 * EIGVAL) ** 2) @ EIGVEC.T
    np.testing.assert_allclose(np.cov(offsets.T), theory, atol=0.03 * theory[0, 0] * 3)
    np.testing.assert_allclose(offsets.mean(0), 0, atol=4 * 0.1 * EIGVAL[0] / np.sqrt(20000))
    # along each eigenvector the variance is (σ λ_i)², within sampling error (~1 %)
    along = offsets @ EIGVEC
    np.testing.assert_allclose(along.var(0), (0.1 * EIGVAL) ** 2, rtol=0.05)


def test_one_offset_shifts_every_pixel_and_integer_images_are_rounded_and_clipped():
    jitter = T.PCAColorJitter(EIGVAL, EIGVEC, alpha_std=1.0)
    img = np.random.default_rng(2).random((3, 5, 6)).astype(np.float32)
    mc.manual_seed(3)
    out = jitter(img)
    assert out.dtype == np.float32 and out.shape == img.shape
    shift = (out - img).reshape(3, -1)
    np.testing.assert_allclose(shift, shift[:, :1].repeat(30, 1), atol=1e-6)
    mc.manual_seed(3)
    expected = jitter.offset()
    np.testing.assert_allclose(shift[:, 0], expected, atol=1e-6)
    pixels = np.array([[[0, 128, 255]]], np.uint8)
    mc.manual_seed(3)
    got = jitter(pixels)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, np.clip(np.rint(pixels + 255 * expected), 0, 255))
    tensor_out = jitter(mc.tensor(img))
    assert isinstance(tensor_out, mc.Tensor) and tuple(tensor_out.shape) == img.shape


def test_pca_jitter_follows_the_seed_and_changes_each_draw():
    jitter = T.PCAColorJitter(EIGVAL, EIGVEC)
    img = np.full((3, 2, 2), 0.5, np.float32)
    mc.manual_seed(5)
    first, second = jitter(img), jitter(img)
    mc.manual_seed(5)
    np.testing.assert_array_equal(jitter(img), first)
    assert not np.array_equal(first, second)


def test_pca_jitter_in_a_loader_is_the_same_whatever_the_workers():
    class Grey(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            return jitter(np.full((3, 2, 2), 0.5, np.float32)), i

    jitter = T.PCAColorJitter(EIGVAL, EIGVEC)
    batches = [np.concatenate([x.numpy() for x, _ in DataLoader(Grey(), batch_size=4,
                                                                 seed=7, num_workers=w)])
               for w in (0, 2)]
    np.testing.assert_array_equal(*batches)


def test_alpha_std_zero_leaves_the_image_as_it_is():
    img = np.random.default_rng(4).random((3, 4, 4))
    np.testing.assert_array_equal(T.PCAColorJitter(EIGVAL, EIGVEC, alpha_std=0)(img), img)


@pytest.mark.parametrize("make, words", [
    (lambda: T.PCAColorJitter([1, 2], EIGVEC), "PCAColorJitter: eigval must be 3"),
    (lambda: T.PCAColorJitter([1, -2, 3], EIGVEC), "got [1.0, -2.0, 3.0]"),
    (lambda: T.PCAColorJitter(EIGVAL, np.eye(2)), "eigvec must be a finite 3×3 matrix, got "
                                                   "shape (2, 2)"),
    (lambda: T.PCAColorJitter(EIGVAL, EIGVEC, alpha_std=-0.1),
     "PCAColorJitter: alpha_std must be a finite number >= 0, got -0.1"),
    (lambda: T.PCAColorJitter(EIGVAL, EIGVEC)(np.zeros((4, 4), np.uint8)),
     "PCAColorJitter: expected an RGB image (3 channels), got 1 channel(s)"),
    (lambda: T.rgb_pca([]), "rgb_pca: images is empty"),
    (lambda: T.rgb_pca([np.zeros((2, 2), np.uint8)]), "rgb_pca: expected RGB images"),
    (lambda: T.rgb_pca([np.zeros((3, 2, 2))], max_images=0),
     "rgb_pca: max_images must be a positive integer, got 0"),
    (lambda: T.RandomScale(10, 5), "RandomScale: need 0 < min_size <= max_size, got "
                                   "min_size=10, max_size=5"),
    (lambda: T.RandomScale(0, 5), "min_size=0"),
    (lambda: T.RandomScale(4.5, 8), "RandomScale: min_size must be an integer number of "
                                    "pixels, got 4.5"),
])
def test_bad_arguments_name_the_op_the_argument_and_the_value(make, words):
    with pytest.raises(ValueError) as error:
        make()
    assert words in str(error.value)


def test_random_scale_then_crop_gives_the_training_size_from_every_scale():
    img = np.random.default_rng(6).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    scale, crop = T.RandomScale(32, 64), T.RandomCrop(32)
    mc.manual_seed(8)
    sides = set()
    for _ in range(200):
        scaled = scale(img)
        h, w = scaled.shape[:2]
        assert 32 <= h <= 64 and w == int(h * 60 / 40)   # torchvision's rounding down
        sides.add(h)
        assert crop(scaled).shape == (32, 32, 3)
    assert min(sides) == 32 and max(sides) == 64 and len(sides) > 25
    mc.manual_seed(8)
    again = [scale(img).shape[0] for _ in range(10)]
    mc.manual_seed(8)
    assert [scale(img).shape[0] for _ in range(10)] == again


def test_reprs():
    assert repr(T.PCAColorJitter(EIGVAL, EIGVEC)) == \
        "PCAColorJitter(eigval=[0.5, 0.2, 0.05], alpha_std=0.1)"
