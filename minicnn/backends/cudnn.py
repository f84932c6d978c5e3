"""torch.backends.cudnn's switches. minicnn's GPU convolutions are its own CUDA kernels and
cuBLAS GEMMs, never cuDNN, so these are kept for programs that set them and read by nothing."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    """False: minicnn does not use cuDNN."""
    return False


def version():
    """None: no cuDNN is loaded."""
    return None
