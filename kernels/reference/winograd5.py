"""Winograd F(2×2, 5×5): a stride-1 5×5 convolution with 36 multiplications per 2×2 output
tile instead of 100, forward only.

Cook–Toom interpolation at F(4×4, 3×3)'s points 0, ±1, ±2 and ∞ (_cook_toom.py computes the
matrices when this module loads) gives six-point transforms again: a tile of α = m + r − 1
= 2 + 5 − 1 = 6 inputs. Bᵀ holds the Lagrange numerators of the points alone, so it is
winograd4.py's; G and Aᵀ follow from the filter's five taps and the two outputs:

         ⎡4  0 −5  0  1  0⎤         ⎡ 1/4    0     0     0     0  ⎤
         ⎢0 −4 −4  1  1  0⎥         ⎢−1/6  −1/6  −1/6  −1/6  −1/6 ⎥
    Bᵀ = ⎢0  4 −4 −1  1  0⎥     G = ⎢−1/6   1/6  −1/6   1/6  −1/6 ⎥     Aᵀ = ⎡1  1  1  1  1  0⎤
         ⎢0 −2 −1  2  1  0⎥         ⎢1/24  1/12   1/6   1/3   2/3 ⎥          ⎣0  1 −1  2 −2  1⎦
         ⎢0  2 −1 −2  1  0⎥         ⎢1/24 −1/12   1/6  −1/3   2/3 ⎥
         ⎣0  4  0 −5  0  1⎦         ⎣  0     0     0     0     1  ⎦

Every 6×6 input tile d (overlapping its neighbours by 4) and 5×5 filter g give

    Y (2×2) = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A,

so a convolution is 36 GEMMs M[ξ] = V[ξ] · U[ξ]ᵀ with V = Bᵀ d B (36, N·tiles, C) and
U = G g Gᵀ (36, OC, C): 9 multiplications per output instead of 25. Aᵀ's entries are at
most 2, so the rounding stays near F(2×2, 3×3)'s; like F(4×4, 3×3) the algorithm serves
forward passes only (AlexNet's conv2, Inception's 5×5 branches at inference).
"""
from ._cook_toom import winograd_matrices
from .winograd import _transformed_input, _transformed_output, _transformed_weight

# (2, 6) output, (6, 5) filter and (6, 6) input transforms
A5_T, G5, B5_T = winograd_matrices((0, 1, -1, 2, -2), 2, 5)


def winograd5_weight(w):
    """w (OC, C, 5, 5) -> U = G g Gᵀ, laid out (36, OC, C)."""
    return _transformed_weight(w, G5)


def winograd5_input(x, padding):
    """x (N, C, H, W) -> V = Bᵀ d B for every 6×6 tile d, tiles 2 apart, (36, N·th·tw, C),
    th = ⌈oh / 2⌉."""
    return _transformed_input(x, padding, B5_T, kernel=5)


def winograd5_output(m, output_shape, bias=None, out=None):
    """M (36, N·th·tw, OC) -> y = Aᵀ M A per 2×2 tile (+ bias), cut to `output_shape`
    (N, OC, oh, ow); written into `out` (of that shape) when given."""
    return _transformed_output(m, output_shape, bias, out, A5_T)
