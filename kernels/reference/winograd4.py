"""Winograd F(4×4, 3×3): a stride-1 3×3 convolution with 36 multiplications per 4×4 output
tile instead of 144, forward only.

The algebra is F(2×2, 3×3)'s (winograd.py) with larger transforms, derived by Cook–Toom
interpolation at the points 0, ±1, ±2 and ∞ (_cook_toom.py computes them when this module
loads; they are the tables of Lavin and Gray, "Fast Algorithms for Convolutional Neural
Networks", 2016):

         ⎡4  0 −5  0  1  0⎤         ⎡ 1/4     0     0  ⎤
         ⎢0 −4 −4  1  1  0⎥         ⎢−1/6  −1/6  −1/6 ⎥          ⎡1  1  1  1  1  0⎤
    Bᵀ = ⎢0  4 −4 −1  1  0⎥     G = ⎢−1/6   1/6  −1/6 ⎥     Aᵀ = ⎢0  1 −1  2 −2  0⎥
         ⎢0 −2 −1  2  1  0⎥         ⎢1/24  1/12   1/6 ⎥          ⎢0  1  1  4  4  0⎥
         ⎢0  2 −1 −2  1  0⎥         ⎢1/24 −1/12   1/6 ⎥          ⎣0  1 −1  8 −8  1⎦
         ⎣0  4  0 −5  0  1⎦         ⎣  0     0     1  ⎦

Every 6×6 input tile d (overlapping its neighbours by 2) and 3×3 filter g give

    Y (4×4) = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A,

so a convolution is 36 GEMMs M[ξ] = V[ξ] · U[ξ]ᵀ with V = Bᵀ d B (36, N·tiles, C) and
U = G g Gᵀ (36, OC, C): 2.25 multiplications per output instead of F(2×2)'s 4. The larger
entries of the transforms (up to 8 in Aᵀ, 5 in Bᵀ) cost about a digit of float32 accuracy,
which is why conv2d takes this form only when no gradient is wanted (the gradients keep
F(2×2, 3×3)) and on maps with enough tiles to feed the GEMMs.
"""
from ._cook_toom import winograd_matrices
from .winograd import _transformed_input, _transformed_output, _transformed_weight

# (4, 6) output, (6, 3) filter and (6, 6) input transforms
A4_T, G4, B4_T = winograd_matrices((0, 1, -1, 2, -2), 4)


def winograd4_weight(w):
    """w (OC, C, 3, 3) -> U = G g Gᵀ, laid out (36, OC, C)."""
    return _transformed_weight(w, G4)


def winograd4_input(x, padding):
    """x (N, C, H, W) -> V = Bᵀ d B for every 6×6 tile d, (36, N·th·tw, C), th = ⌈oh / 4⌉."""
    return _transformed_input(x, padding, B4_T)


def winograd4_output(m, output_shape, bias=None, out=None):
    """M (36, N·th·tw, OC) -> y = Aᵀ M A per tile (+ bias), cut to `output_shape`
    (N, OC, oh, ow); written into `out` (of that shape) when given."""
    return _transformed_output(m, output_shape, bias, out, A4_T)
