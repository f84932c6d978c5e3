"""exp(a) for float32 a ≤ 0 from arithmetic that LLVM vectorises (libm's expf is one scalar
call per element, and a loop around a call does not vectorise).

a = k·ln 2 + r with |r| ≤ ln 2 / 2, exp(r) by its Taylor series to r⁷ (relative error about
6e-9), and 2ᵏ written straight into float32 exponent bits; arguments below −87 give 0.
"""
import math

import numpy as np
from numba import njit

_EXP_TAYLOR = np.array([1 / math.factorial(d) for d in range(8)], dtype=np.float32)
_LN2 = np.float32(math.log(2))
_INV_LN2 = np.float32(1 / math.log(2))
# Every fast-math licence except "no NaNs" and "no infinities", which would let LLVM drop
# the NaN and ±∞ cases; without these the series loops are not vectorised.
FAST = {"nsz", "arcp", "contract", "afn", "reassoc"}


@njit(fastmath=FAST, inline="always")     # inlined: as a call it does not vectorise
def exp_nonpositive(a, out, exponent):
    """out = exp(a) for float32 a ≤ 0; exponent is contiguous int32 scratch of a's length
    (it ends up holding the bits of 2ᵏ, read back as float32 without a temporary)."""
    for i in range(a.shape[0]):
        v = max(a[i], np.float32(-87.0))
        k = np.floor(v * _INV_LN2 + np.float32(0.5))
        r = v - k * _LN2
        p = _EXP_TAYLOR[7]
        for d in range(6, -1, -1):
            p = p * r + _EXP_TAYLOR[d]
        out[i] = p if a[i] >= np.float32(-87.0) else np.float32(0.0)
        exponent[i] = (np.int32(k) + np.int32(127)) << np.int32(23)
    scale = exponent.view(np.float32)                      # 2ᵏ
    for i in range(a.shape[0]):
        out[i] *= scale[i]
