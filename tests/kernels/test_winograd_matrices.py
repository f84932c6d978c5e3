"""The Winograd transforms are derived, not listed: Cook–Toom interpolation (_cook_toom.py)
gives exactly Lavin and Gray's published tables for F(2×2, 3×3) and F(4×4, 3×3), the
matrices the reference kernels use, and at other points and sizes matrices that compute a
correlation."""
import numpy as np
import pytest

from minicnn.kernels.reference import winograd, winograd4
from minicnn.kernels.reference._cook_toom import winograd_matrices

# Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks" (2016), §4.1 and §4.2
LAVIN_F2 = dict(
    B_T=[[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
    G=[[1, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2], [0, 0, 1]],
    A_T=[[1, 1, 1, 0], [0, 1, -1, -1]])
LAVIN_F4 = dict(
    B_T=[[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
         [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
    G=[[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
       [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
    A_T=[[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]])


@pytest.mark.parametrize("points, m, published, used", [
    ((0, 1, -1), 2, LAVIN_F2, (winograd.A_T, winograd.G, winograd.B_T)),
    ((0, 1, -1, 2, -2), 4, LAVIN_F4, (winograd4.A4_T, winograd4.G4, winograd4.B4_T)),
])
def test_derived_matrices_equal_the_published_tables_and_the_kernels_use_them(
        points, m, published, used):
    derived = winograd_matrices(points, m)
    for name, matrix, in_use in zip(("A_T", "G", "B_T"), derived, used):
        expected = np.array(published[name], dtype=np.float64)
        assert matrix.dtype == np.float64 and matrix.shape == expected.shape, name
        np.testing.assert_array_equal(matrix, expected, err_msg=name)
        np.testing.assert_array_equal(in_use, expected, err_msg=name)


@pytest.mark.parametrize("points, m, r", [
    ((0, 1, -1), 2, 3),
    ((0, 1, -1, 2, -2), 4, 3),
    ((0, 1, -1, 2), 3, 3),                  # F(3, 3)
    ((1, -1, 2), 2, 3),                     # without the point 0
    ((0, 1, -1, 1 / 2), 2, 4),              # F(2, 4), a fractional point
    ((0, 1, -1), 3, 2),                     # F(3, 2)
])
def test_derived_matrices_compute_a_correlation(points, m, r):
    a_t, g_matrix, b_t = winograd_matrices(points, m, r)
    alpha = m + r - 1
    assert a_t.shape == (m, alpha) and g_matrix.shape == (alpha, r) and b_t.shape == (alpha,) * 2
    rng = np.random.default_rng(0)
    for _ in range(5):
        d, g = rng.standard_normal(alpha), rng.standard_normal(r)
        np.testing.assert_allclose(a_t @ ((g_matrix @ g) * (b_t @ d)),
                                   np.correlate(d, g, mode="valid"), rtol=1e-12, atol=1e-12)


def test_nested_in_two_dimensions_the_tile_is_a_2d_correlation():
    a_t, g_matrix, b_t = winograd_matrices((0, 1, -1, 2, -2), 4)
    rng = np.random.default_rng(1)
    d, g = rng.standard_normal((6, 6)), rng.standard_normal((3, 3))
    y = a_t @ ((g_matrix @ g @ g_matrix.T) * (b_t @ d @ b_t.T)) @ a_t.T
    direct = np.array([[np.sum(d[i:i + 3, j:j + 3] * g) for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(y, direct, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("points", [(0, 1), (0, 1, 1)])
def test_points_must_be_distinct_and_as_many_as_the_size_needs(points):
    with pytest.raises(ValueError, match=r"winograd_matrices: F\(2, 3\) needs 3 distinct "
                                         r"finite points"):
        winograd_matrices(points, 2)
