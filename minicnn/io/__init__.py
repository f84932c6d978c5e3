"""Reading and writing: minicnn's own files (`mc.save`/`mc.load`) and PyTorch's weights."""
from .archive import load, save
from .torch_files import from_torch, load_torch_file

__all__ = ["from_torch", "load", "load_torch_file", "save"]
