"""torch.backends.mps: Apple's Metal GPUs, which minicnn does not run on."""


def is_available():
    return False


def is_built():
    return False
