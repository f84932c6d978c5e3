"""This process's place in a data-parallel run, and the agreements `fit` needs: every rank
must take the same branch (stop, skip a batch, write a checkpoint) at the same step, or
the next collective would wait for a rank that went elsewhere. Alone (no process group, or
a group of one) every answer is local and costs nothing."""
import numpy as np

from .. import distributed
from ..distributed import ReduceOp
from ..tensor import Tensor


class Ranks:
    def __init__(self):
        alone = not distributed.is_initialized()
        self.size = 1 if alone else distributed.get_world_size()
        self.rank = 0 if alone else distributed.get_rank()
        self.main = self.rank == 0

    def first_with(self, flag):
        """The lowest rank where `flag` is true, or None where it is true on none."""
        if self.size == 1:
            return 0 if flag else None
        votes = Tensor._make(np.array([self.rank if flag else self.size], dtype=np.int64))
        distributed.all_reduce(votes, op=ReduceOp.MIN)
        first = int(votes._data[0])
        return None if first == self.size else first

    def any(self, flag):
        return self.first_with(flag) is not None

    def sum(self, values):
        """Each of `values` (numbers) summed over the ranks."""
        if self.size == 1:
            return list(values)
        total = Tensor._make(np.array(values, dtype=np.float64))
        distributed.all_reduce(total)
        return total._data.tolist()
