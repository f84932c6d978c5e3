"""The "nccl" backend: collectives on CuPy arrays through cupy.cuda.nccl (NumPy arrays, and
dtypes NCCL lacks, go over MPI as with the "mpi" backend).

MPI starts the processes and carries the bootstrap: rank 0 draws NCCL's unique id
(`nccl.get_unique_id()`) and broadcasts it over MPI; each process takes the GPU of its
rank on its node and joins with `nccl.NcclCommunicator(size, uid, rank)`. Collectives are
enqueued on the current CUDA stream, so the kernels after them see their result without a
host wait; a Work's wait (and its timeout) polls a CUDA event recorded after the call. The
agreement checks, barriers and object broadcasts still go over MPI.
"""
import numpy as np

from .. import backend
from .mpi_backend import MPIBackend
from .reduce_op import ReduceOp
from .work import Work


def _datatypes(nccl):
    return {np.dtype(np.float16): nccl.NCCL_FLOAT16, np.dtype(np.float32): nccl.NCCL_FLOAT32,
            np.dtype(np.float64): nccl.NCCL_FLOAT64, np.dtype(np.int8): nccl.NCCL_INT8,
            np.dtype(np.uint8): nccl.NCCL_UINT8, np.dtype(np.int32): nccl.NCCL_INT32,
            np.dtype(np.int64): nccl.NCCL_INT64}


class NCCLBackend(MPIBackend):
    """Collectives of CUDA tensors over NCCL; the MPI communicator does the rest."""

    name = "nccl"

    def __init__(self, mpi, comm, timeout, nccl, local_rank):
        super().__init__(mpi, comm, timeout)
        self.nccl_module = nccl
        self.cupy = backend.cupy_module()
        self.device_index = local_rank % self.cupy.cuda.runtime.getDeviceCount()
        self.cupy.cuda.Device(self.device_index).use()
        uid = nccl.get_unique_id() if self.rank == 0 else None
        uid = comm.bcast(uid, root=0)
        self.communicator = nccl.NcclCommunicator(self.size, uid, self.rank)
        self._types = _datatypes(nccl)
        self._nccl_ops = {ReduceOp.SUM: nccl.NCCL_SUM, ReduceOp.PRODUCT: nccl.NCCL_PROD,
                          ReduceOp.MIN: nccl.NCCL_MIN, ReduceOp.MAX: nccl.NCCL_MAX,
                          ReduceOp.AVG: nccl.NCCL_SUM}


    def _stream(self):
        return self.cupy.cuda.get_current_stream()

    def _contiguous(self, array):
        return array if array.flags.c_contiguous else self.cupy.ascontiguousarray(array)

    def _enqueued(self, finish, what):
        """A Work for the calls just enqueued on the current stream: `finish` is enqueued
        too, and the wait polls an event recorded after it."""
        if finish is not None:
            finish()
        event = self.cupy.cuda.Event(block=False, disable_timing=True)
        event.record(self._stream())
        return Work(lambda: event.done, None, self.timeout, what)

    def all_reduce(self, array, op, what):
        if not backend.is_cupy_array(array) or array.dtype not in self._types:
            return super().all_reduce(array, op, what)
        buffer = self._contiguous(array)
        stream = self._stream()
        self.communicator.allReduce(buffer.data.ptr, buffer.data.ptr, buffer.size,
                                    self._types[buffer.dtype], self._nccl_ops[op], stream.ptr)

        def finish():
            if op is ReduceOp.AVG:
                buffer[...] /= self.size
            if buffer is not array:
                array[...] = buffer
        return self._enqueued(finish, what)

    def broadcast(self, array, src, what):
        if not backend.is_cupy_array(array):
            return super().broadcast(array, src, what)
        buffer = self._contiguous(array)
        self.communicator.bcast(buffer.data.ptr, buffer.nbytes, self.nccl_module.NCCL_UINT8,
                                src, self._stream().ptr)
        return self._enqueued(None if buffer is array else
                              (lambda: array.__setitem__(Ellipsis, buffer)), what)

    def all_gather(self, outputs, array, what):
        if not backend.is_cupy_array(array):
            return super().all_gather(outputs, array, what)
        send = self._contiguous(array)
        table = self.cupy.empty((self.size,) + send.shape, dtype=send.dtype)
        self.communicator.allGather(send.data.ptr, table.data.ptr, send.nbytes,
                                    self.nccl_module.NCCL_UINT8, self._stream().ptr)

        def finish():
            for out, row in zip(outputs, table):
                out[...] = row
        return self._enqueued(finish, what)

    def reduce_scatter(self, output, inputs, op, what):
        if not backend.is_cupy_array(output) or output.dtype not in self._types:
            return super().reduce_scatter(output, inputs, op, what)
        send = self.cupy.concatenate([self._contiguous(a).reshape(-1) for a in inputs])
        receive = self.cupy.empty(output.size, dtype=output.dtype)
        self.communicator.reduceScatter(send.data.ptr, receive.data.ptr, output.size,
                                        self._types[output.dtype], self._nccl_ops[op],
                                        self._stream().ptr)

        def finish():
            if op is ReduceOp.AVG:
                receive[...] /= self.size
            output[...] = receive.reshape(output.shape)
        return self._enqueued(finish, what)

    def close(self):
        self.communicator.destroy()
        super().close()
