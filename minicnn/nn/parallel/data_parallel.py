"""DataParallel: torch.nn.DataParallel's wrapper, which runs the module on one device.

PyTorch's DataParallel splits each batch over several GPUs of one process. minicnn runs a
module on one device, so the wrapper passes every call through; it keeps PyTorch's
`module` attribute and its `module.` prefix in state_dict keys, so checkpoints move between
the two. Several processes, each on its own GPU, is DistributedDataParallel's work."""
from ... import cuda
from ..module import Module


class DataParallel(Module):
    """`DataParallel(module)`: forward is `module`'s. As in PyTorch on a machine without a
    GPU, `device_ids` and `output_device` are ignored there; where GPUs are usable, more than
    one device id raises, since minicnn does not split a batch across GPUs."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if cuda.is_available() and device_ids is not None and len(list(device_ids)) > 1:
            raise ValueError(f"DataParallel: minicnn runs a module on one device, got "
                             f"device_ids={list(device_ids)}; train on several GPUs with "
                             f"DistributedDataParallel, one process per GPU")
        self.module = module
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
