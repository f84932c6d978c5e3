"""The matrices of Winograd's minimal filtering F(m, r), derived by Cook–Toom interpolation.

m outputs of an r-tap correlation over α = m + r − 1 inputs d,

    y[k] = Σⱼ d[k + j] · g[j],   k < m,

are the transpose of a polynomial product: multiplying h(x) (degree m − 1) by g(x)
(degree r − 1) gives a polynomial of degree α − 1, and y = Tᵀ d for the (α, m) matrix T of
that product's map h ↦ h·g. Cook–Toom computes the product from α values: h(a)·g(a) at
α − 1 finite points a, and at ∞ the product of the leading coefficients. Lagrange
interpolation takes them back to coefficients,

    h·g (x) = Σᵢ h(aᵢ) g(aᵢ) · Nᵢ(x) / fᵢ + h_{m−1} g_{r−1} · M(x),

with Nᵢ(x) = Π_{k≠i} (x − a_k), fᵢ = Nᵢ(aᵢ) and M(x) = Π_k (x − a_k). Written as matrices
and transposed, the correlation is

    y = Aᵀ [(G g) ⊙ (Bᵀ d)]

where column i of Aᵀ evaluates at aᵢ (aᵢʲ for j < m), row i of G evaluates g at aᵢ
divided by fᵢ, and row i of Bᵀ holds the coefficients of Nᵢ; the point ∞ adds a column
e_{m−1} to Aᵀ, a row e_{r−1} to G and the coefficients of M as the last row of Bᵀ.
Scaling a point's row of G by s and its row of Bᵀ by 1/s leaves y unchanged; where 0 is a
point, its rows (and ∞'s) are scaled by the sign of f₀ so that Bᵀ[0, 0] is positive and
the row of ∞ is x · N₀(x). That is the convention of Lavin and Gray's tables ("Fast
Algorithms for Convolutional Neural Networks", 2016).

The arithmetic is exact (fractions); the matrices come back as float64 arrays.
"""
from fractions import Fraction

import numpy as np


def _product(roots):
    """Coefficients, lowest first, of Π (x − a) over `roots`."""
    coefficients = [Fraction(1)]
    for a in roots:
        shifted = [Fraction(0)] + coefficients             # x · p
        scaled = [-a * c for c in coefficients] + [Fraction(0)]
        coefficients = [s + t for s, t in zip(shifted, scaled)]
    return coefficients


def winograd_matrices(points, m, r=3):
    """(Aᵀ (m, α), G (α, r), Bᵀ (α, α)) of F(m, r) at the α − 1 = m + r − 2 distinct finite
    interpolation `points` (and ∞), as float64 arrays: y = Aᵀ [(G g) ⊙ (Bᵀ d)]."""
    points = [Fraction(a) for a in points]
    alpha = m + r - 1
    if len(points) != alpha - 1 or len(set(points)) != len(points):
        raise ValueError(f"winograd_matrices: F({m}, {r}) needs {alpha - 1} distinct finite "
                         f"points, got {len(points)} ({len(set(points))} distinct)")
    a_t = [[Fraction(0)] * alpha for _ in range(m)]
    g = [[Fraction(0)] * r for _ in range(alpha)]
    b_t = [[Fraction(0)] * alpha for _ in range(alpha)]
    sign = 1                                                # of f₀, where 0 is a point
    for i, a in enumerate(points):
        numerator = _product(points[:i] + points[i + 1:])  # Nᵢ, degree α − 2
        f = sum(c * a ** k for k, c in enumerate(numerator))
        scale = 1
        if a == 0:
            sign = scale = 1 if f > 0 else -1
        for j in range(m):
            a_t[j][i] = a ** j
        for j in range(r):
            g[i][j] = a ** j / (f * scale)
        for k, c in enumerate(numerator):
            b_t[i][k] = c * scale
    a_t[m - 1][alpha - 1] = Fraction(sign)                  # the point ∞
    g[alpha - 1][r - 1] = Fraction(1)
    b_t[alpha - 1] = [c * sign for c in _product(points)]
    return tuple(np.array([[float(v) for v in row] for row in matrix], dtype=np.float64)
                 for matrix in (a_t, g, b_t))
