"""The parameters of every `extern "C" __global__` function in preprocessed CUDA C: what the
emulated launch checks its arguments against and what its launcher casts them to."""
import re
from dataclasses import dataclass

import numpy as np

_KERNEL = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(([^)]*)\)')
_QUALIFIERS = {"const", "volatile", "__restrict__", "__restrict", "restrict"}
SCALAR_TYPES = {
    "bool": np.bool_, "char": np.int8, "signed char": np.int8, "unsigned char": np.uint8,
    "short": np.int16, "unsigned short": np.uint16, "int": np.int32, "unsigned": np.uint32,
    "unsigned int": np.uint32, "long": np.int64, "long long": np.int64,
    "long long int": np.int64, "unsigned long long": np.uint64, "float": np.float32,
    "double": np.float64, "__half": np.float16, "half": np.float16,
}


@dataclass(frozen=True)
class Parameter:
    name: str
    c_type: str          # as the launcher casts to, e.g. "const float*"
    dtype: np.dtype      # the element type (pointers) or the value type (scalars)
    pointer: bool

    def describe(self):
        return f"{self.c_type} {self.name}"


def _parameter(text, kernel):
    pointer = text.count("*")
    words = re.findall(r"[A-Za-z_]\w*", text.replace("*", " "))
    if not words:
        raise ValueError(f"kernel {kernel}: cannot read the parameter {text.strip()!r}")
    name = words[-1]
    base = " ".join(w for w in words[:-1] if w not in _QUALIFIERS)
    if base not in SCALAR_TYPES or pointer > 1:
        raise ValueError(f"kernel {kernel}: parameter {text.strip()!r} has a type the emulator "
                         f"cannot pass (supported: {sorted(SCALAR_TYPES)} and pointers to them)")
    c_type = text[:text.rfind(name)].strip()
    return Parameter(name, c_type, np.dtype(SCALAR_TYPES[base]), bool(pointer))


def kernels_in(preprocessed):
    """{name: (Parameter, ...)} for every extern "C" __global__ function of the source."""
    found = {}
    for name, params in _KERNEL.findall(preprocessed):
        items = [p for p in params.split(",") if p.strip() and p.strip() != "void"]
        found[name] = tuple(_parameter(p, name) for p in items)
    return found
