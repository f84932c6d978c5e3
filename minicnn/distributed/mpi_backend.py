"""The "mpi" backend: collectives on NumPy arrays over mpi4py's non-blocking calls.

CuPy arrays go through host memory (the mpich wheel is not CUDA-aware). Arithmetic runs on
float32, float64 and integer arrays; float16 is reduced in float32 and written back.
Broadcast and gather move bytes, so they take any dtype. Every call returns a Work whose
wait is bounded by the group's timeout.
"""
import numpy as np

from .. import backend
from .reduce_op import ReduceOp
from .work import Work, wait_until

_REDUCIBLE_KINDS = "iuf"


def _staging_dtype(dtype):
    """The dtype MPI reduces an array of `dtype` in (float16 has no MPI arithmetic)."""
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def _host_copy(array, dtype=None):
    """A C-contiguous NumPy copy of `array` (NumPy or CuPy), in `dtype` if given."""
    host = backend.to_device(array, "cpu")
    return np.array(host, dtype=dtype or host.dtype, order="C", copy=True)


def _write_back(target, host):
    """target[...] = host, on target's device."""
    target[...] = backend.to_device(host.reshape(target.shape), backend.device_of(target))


def _reducible(array):
    """`array` itself when MPI can reduce it in place, else None."""
    if isinstance(array, np.ndarray) and array.flags.c_contiguous \
            and _staging_dtype(array.dtype) == array.dtype:
        return array
    return None


class MPIBackend:
    """Collectives over an MPI communicator (`comm`, an mpi4py Intracomm of its own)."""

    name = "mpi"

    def __init__(self, mpi, comm, timeout):
        self.mpi = mpi
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout = timeout
        self._ops = {ReduceOp.SUM: mpi.SUM, ReduceOp.PRODUCT: mpi.PROD,
                     ReduceOp.MIN: mpi.MIN, ReduceOp.MAX: mpi.MAX, ReduceOp.AVG: mpi.SUM}

    @staticmethod
    def supports_reduction(dtype):
        return np.dtype(dtype).kind in _REDUCIBLE_KINDS

    def exchange(self, vector, what):
        """Every rank's int64 `vector`, as a (size, len) array (the agreement check)."""
        vector = np.ascontiguousarray(vector, dtype=np.int64)
        table = np.empty((self.size, vector.size), dtype=np.int64)
        request = self.comm.Iallgather(vector, table)
        wait_until(request.Test, self.timeout, what)
        return table

    def _work(self, request, finish, what):
        return Work(request.Test, finish, self.timeout, what)

    def all_reduce(self, array, op, what):
        buffer = _reducible(array)
        if buffer is None:
            buffer = _host_copy(array, _staging_dtype(array.dtype))
        request = self.comm.Iallreduce(self.mpi.IN_PLACE, buffer, self._ops[op])

        def finish():
            if op is ReduceOp.AVG:
                buffer[...] /= self.size
            if buffer is not array:
                _write_back(array, buffer)
        return self._work(request, finish, what)

    def broadcast(self, array, src, what):
        buffer = array if isinstance(array, np.ndarray) and array.flags.c_contiguous \
            else _host_copy(array)
        request = self.comm.Ibcast([buffer.reshape(-1).view(np.uint8), self.mpi.BYTE],
                                   root=src)
        return self._work(request, None if buffer is array else
                          (lambda: _write_back(array, buffer)), what)

    def all_gather(self, outputs, array, what):
        send = _host_copy(array)
        table = np.empty((self.size,) + send.shape, dtype=send.dtype)
        request = self.comm.Iallgather([send.reshape(-1).view(np.uint8), self.mpi.BYTE],
                                       [table.reshape(-1).view(np.uint8), self.mpi.BYTE])

        def finish():
            for out, row in zip(outputs, table):
                _write_back(out, row)
        return self._work(request, finish, what)

    def reduce_scatter(self, output, inputs, op, what):
        dtype = _staging_dtype(output.dtype)
        send = np.concatenate([_host_copy(a, dtype).reshape(-1) for a in inputs])
        receive = np.empty(output.size, dtype=dtype)
        request = self.comm.Ireduce_scatter_block(send, receive, self._ops[op])

        def finish():
            if op is ReduceOp.AVG:
                receive[...] /= self.size
            _write_back(output, receive)
        return self._work(request, finish, what)

    def barrier(self, what):
        return self._work(self.comm.Ibarrier(), None, what)

    def broadcast_object(self, value, src):
        """`value` of rank `src` (pickled), on every rank; call after an agreement check."""
        return self.comm.bcast(value, root=src)

    def close(self):
        self.comm.Free()
