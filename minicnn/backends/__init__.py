"""`mc.backends`: the switches PyTorch keeps under torch.backends, so that programs which set
them run. minicnn calls neither cuDNN nor Apple's MPS: `cudnn.is_available()` and
`mps.is_available()` are False. `cudnn.benchmark` is honoured on every device: conv2d then
measures its algorithms once per call shape and keeps the fastest. The other flags
(`cudnn.deterministic`, `cuda.matmul.allow_tf32` ...) are kept but change nothing. What
makes minicnn reproducible is `mc.use_deterministic_algorithms(True)`."""
from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
