"""torch.backends.cudnn's switches. minicnn's GPU convolutions are its own CUDA kernels and
cuBLAS GEMMs, never cuDNN.

`benchmark` is read, as PyTorch programs mean it: set True, conv2d measures the algorithms
that compute each new call shape and keeps the fastest, on the CPU and the GPU alike
(minicnn/functional/conv_measured.py); False, the default, keeps the fixed rules of
conv_select.py. The other flags are kept for programs that set them and read by nothing;
what makes minicnn reproducible is `mc.use_deterministic_algorithms(True)`, under which
`benchmark` has no effect."""

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
