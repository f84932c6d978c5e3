"""ReduceOp: how a collective combines the ranks' tensors, with PyTorch's names."""
import enum


class ReduceOp(enum.Enum):
    """SUM, PRODUCT, MIN, MAX, or AVG (the sum divided by the world size)."""

    SUM = 0
    PRODUCT = 1
    MIN = 2
    MAX = 3
    AVG = 4

    def __str__(self):
        return f"ReduceOp.{self.name}"
