"""torch.backends.cuda's switches: `matmul.allow_tf32` and the like are kept for programs
that set them; minicnn's float32 GEMMs on the GPU are cuBLAS's default, whatever they say."""
import types

matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                               allow_bf16_reduced_precision_reduction=True)


def is_built():
    """True: minicnn can run on CUDA GPUs (through CuPy, see mc.cuda.is_available())."""
    return True
