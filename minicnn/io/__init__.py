"""Reading and writing: `mc.save`/`mc.load` (minicnn's archive, safetensors, PyTorch's zip
files) and PyTorch's weights."""
from .files import FormatWarning, load, save
from .torch_files import from_torch, load_torch_file

__all__ = ["FormatWarning", "from_torch", "load", "load_torch_file", "save"]
