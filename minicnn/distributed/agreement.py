"""The check that every rank makes the same collective call: before the data moves, the
ranks exchange a short fixed-length description of the call (which collective, its op or
source, each tensor's dtype and shape) and compare them.

A mismatch raises on every rank with the same message, naming the function, the argument
and the values on two ranks, instead of a hang or a silent wrong answer; a rank that never
comes raises the group's timeout. The description is a fixed number of int64 slots, so that
ranks calling different functions still exchange buffers of one size.
"""
import zlib

import numpy as np

from .reduce_op import ReduceOp

SLOTS = 48
MAX_DIMS = 12
_UNUSED = -1
CALLS = ("all_reduce", "broadcast", "all_gather", "reduce_scatter", "barrier",
         "broadcast_object_list", "DistributedDataParallel", "SyncBatchNorm")
DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64",
          "float16", "float32", "float64", "complex64", "complex128")


class Field:
    """One argument of the call as it is written into slots and read back for a message."""

    def __init__(self, name, kind, value):
        self.name, self.kind, self.value = name, kind, value

    def encode(self):
        if self.kind == "shape":
            dims = list(self.value)[:MAX_DIMS]
            return [len(self.value), zlib.crc32(repr(tuple(self.value)).encode())] + \
                dims + [_UNUSED] * (MAX_DIMS - len(dims))
        if self.kind == "dtype":
            name = np.dtype(self.value).name
            return [DTYPES.index(name) if name in DTYPES else 1000 + zlib.crc32(name.encode())]
        if self.kind == "op":
            return [self.value.value]
        return [int(self.value)]

    def describe(self, slots):
        """The value these slots hold, as a message shows it."""
        if self.kind == "shape":
            ndim = int(slots[0])
            return f"a {ndim}-d shape" if ndim > MAX_DIMS else \
                str(tuple(int(d) for d in slots[2:2 + ndim]))
        if self.kind == "dtype":
            code = int(slots[0])
            return DTYPES[code] if code < len(DTYPES) else "another dtype"
        if self.kind == "op":
            return str(ReduceOp(int(slots[0])))
        return str(int(slots[0]))


def encode(call, fields):
    """The int64 slots describing `call` with `fields`."""
    values = [CALLS.index(call)]
    for field in fields:
        values += field.encode()
    if len(values) > SLOTS:
        raise ValueError(f"{call}: its description needs {len(values)} slots, more than "
                         f"{SLOTS}")
    return np.array(values + [_UNUSED] * (SLOTS - len(values)), dtype=np.int64)


def mismatch(call, fields, table):
    """The message for the first difference between the ranks' rows of `table` (one row
    per rank, as `encode` wrote them), or None when every rank made the same call."""
    rows = [tuple(row) for row in table]
    if all(row == rows[0] for row in rows):
        return None
    for rank, row in enumerate(rows):
        if row[0] != rows[0][0]:
            return (f"{call}: rank 0 called {CALLS[rows[0][0]]} where rank {rank} called "
                    f"{CALLS[row[0]]}; every rank must call the same collectives in the same "
                    f"order")
    start = 1
    for field in fields:
        width = len(field.encode())
        column = [row[start:start + width] for row in rows]
        for rank, value in enumerate(column):
            if value != column[0]:
                return (f"{call}: {field.name} is {field.describe(column[0])} on rank 0 but "
                        f"{field.describe(value)} on rank {rank}; it must be the same on "
                        f"every rank")
        start += width
    return f"{call}: the ranks described the call differently"
