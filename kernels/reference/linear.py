"""y = x · Wᵀ for a few rows of x, the readable form: one matrix product.

The fast form (kernels/cpu/linear.py) computes the same sums in another order: each
output y[m, o] = Σₖ x[m, k] · W[o, k] is one dot product of a row of x with a row of W.
"""
from ..shapes import check_linear_rows


def linear_few_rows(x, w):
    """x (M, K) with M ≤ LINEAR_FEW_ROWS, w (O, K) -> x · wᵀ, (M, O)."""
    check_linear_rows(x.shape[0])
    return x @ w.T
