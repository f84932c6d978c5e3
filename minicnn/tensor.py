"""Tensor: an array (NumPy or CuPy) plus its place in the autograd graph.

Operators and the methods that are ops (`+`, `@`, `.sum()`, `.relu()`, and `.to()`,
`.cpu()`, `.float()` ..., which are differentiable) are the ops of minicnn.functional,
bound to the class by minicnn/functional/tensor_methods.py, so that tensor sits below
functional and never imports it. This file holds what is about the tensor itself: the
array it is made from (`as_array`), data, device, dtype, gradient bookkeeping and
in-place updates of the data.

The array lives in the private slot `_data`, which the library's own code reads and writes.
The public `data` is PyTorch's: a Tensor cut from the graph that shares the memory (and,
assigned a Tensor, replaces the memory).
"""
import weakref

import numpy as np

from . import backend, grad_mode, random
from .backprop import run_backward
from .dtypes import get_default_dtype
from .size import Size
from .version_counter import bump_version, counter_of


def infer_dtype(data):
    """PyTorch's rule for Python data: floats → default dtype, ints → int64, bools → bool;
    arrays keep their dtype."""
    if isinstance(data, (np.ndarray, np.generic)) or backend.is_cupy_array(data):
        return data.dtype
    array = np.asarray(data)
    if array.dtype.kind == "f":
        return get_default_dtype()
    if array.dtype.kind in "iu":
        return np.dtype(np.int64)
    if array.dtype.kind == "b":
        return np.dtype(np.bool_)
    raise TypeError(f"tensor: cannot make a tensor from data of type {type(data).__name__}")


def as_array(data, dtype=None, device=None):
    """`data` (Python numbers and lists, arrays, Tensors) as an array of `dtype` on `device`."""
    if isinstance(data, Tensor):
        data = data._data
    elif isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
        data = [d.tolist() if isinstance(d, Tensor) else d for d in data]
    dtype = np.dtype(dtype) if dtype is not None else infer_dtype(data)
    if device is None:
        device = backend.device_of(data)
    if backend.Device(device).type == "cpu":
        return np.array(backend.to_device(data, "cpu"), dtype=dtype)
    xp = backend.xp_for(device)
    with xp.cuda.Device(backend.Device(device).index):
        return xp.array(data, dtype=dtype)


class Tensor:
    """A multi-dimensional array that can record the ops applied to it.

    `grad` receives the gradient after `backward()`; like PyTorch, gradients
    accumulate into a leaf's `grad` across backward calls until zeroed.
    """

    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "output_index",
                 "_accumulator", "_hooks", "_post_accumulate_hooks", "_version_counter",
                 "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operator

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        self._init_leaf(as_array(data, dtype, device), requires_grad)

    def _init_leaf(self, array, requires_grad):
        """Fill the slots of a new leaf tensor holding `array` (shared by Parameter)."""
        self._data = array
        self.grad = None
        self.grad_fn = None
        self.output_index = 0
        self._accumulator = None
        self._hooks = None
        self._post_accumulate_hooks = None
        self._version_counter = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, grad_fn=None, output_index=0):
        """Wrap an array without checks (the fast path used by ops)."""
        t = object.__new__(cls)
        t._data = data
        t.grad = None
        t.grad_fn = grad_fn
        t.output_index = output_index
        t._accumulator = None
        t._hooks = None
        t._post_accumulate_hooks = None
        t._version_counter = None
        t.requires_grad = grad_fn is not None
        return t

    # ---- description -------------------------------------------------
    @property
    def data(self):
        """The values as a tensor that shares this one's memory but not its graph, its
        `requires_grad` or its version counter (PyTorch's `.data`): writes through it are
        not seen by autograd. Assigning a Tensor makes this tensor use that one's memory."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data: the new data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def shape(self):
        return Size(self._data.shape)

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        return backend.device_of(self._data)

    @property
    def is_cuda(self):
        return backend.is_cupy_array(self._data)

    @property
    def is_cpu(self):
        return not backend.is_cupy_array(self._data)

    @property
    def is_xpu(self):
        """False: minicnn's devices are the CPU and CUDA GPUs (PyTorch's flag for Intel GPUs)."""
        return False

    @property
    def is_mps(self):
        """False: minicnn's devices are the CPU and CUDA GPUs (PyTorch's flag for Apple GPUs)."""
        return False

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[dim]

    def numel(self):
        return int(self._data.size)

    def element_size(self):
        return self._data.itemsize

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def _version(self):
        """How many in-place writes this tensor's memory has had, through it or any tensor
        sharing that memory (PyTorch's `Tensor._version`)."""
        counter = self._version_counter
        return 0 if counter is None else counter.value

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    __hash__ = object.__hash__

    # ---- conversion ---------------------------------------------------
    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("numpy(): the tensor requires grad; use tensor.detach().numpy()")
        if self.is_cuda:
            raise TypeError("numpy(): the tensor is on cuda; use tensor.cpu().numpy()")
        return self._data

    def __array__(self, dtype=None, copy=None):
        data = backend.to_device(self._data, "cpu")
        return data if dtype is None else data.astype(dtype, copy=False)

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted to a Python "
                             f"scalar, got shape {tuple(self.shape)}")
        return self._data.reshape(()).item()

    def tolist(self):
        return backend.to_device(self._data, "cpu").tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"bool(): the truth value of a tensor of shape {tuple(self.shape)} "
                               f"is ambiguous")
        return bool(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    # ---- autograd bookkeeping ------------------------------------------
    def requires_grad_(self, requires_grad=True):
        if not self.is_leaf:
            raise RuntimeError("requires_grad_(): only leaf tensors can change requires_grad; "
                               "use detach() first")
        if requires_grad and self._data.dtype.kind not in "fc":
            raise TypeError(f"requires_grad_(): only floating tensors can require gradients, "
                            f"got dtype {self._data.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """A tensor sharing this data (and its version counter), cut from the graph."""
        t = Tensor._make(self._data)
        t._version_counter = counter_of(self)
        return t

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    def retain_grad(self):
        """Keep `grad` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad(): the tensor does not require grad")
        if self.is_leaf:
            return
        node = self.grad_fn
        if node.retained_outputs is None:
            node.retained_outputs = {}
        node.retained_outputs[self.output_index] = weakref.ref(self)

    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed; a returned tensor
        replaces the gradient."""
        if not self.requires_grad:
            raise RuntimeError("register_hook(): the tensor does not require grad")
        if self.is_leaf:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
        else:
            node = self.grad_fn
            if node.output_hooks is None:
                node.output_hooks = {}
            node.output_hooks.setdefault(self.output_index, []).append(hook)
        return hook

    def register_post_accumulate_grad_hook(self, hook):
        """Call `hook(tensor)` once per backward pass, after the pass has added every
        gradient that reaches this leaf into its `.grad` (PyTorch's semantics): the moment
        gradient all-reduction can start for it."""
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook(): the tensor does not "
                               "require grad")
        if not self.is_leaf:
            raise RuntimeError("register_post_accumulate_grad_hook(): only leaf tensors "
                               "accumulate gradients; use register_hook on a non-leaf tensor")
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = []
        self._post_accumulate_hooks.append(hook)
        return hook

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) · gradient into every leaf's `grad`."""
        if not self.requires_grad:
            raise RuntimeError("backward(): the tensor does not require grad and has no "
                               "grad_fn (did you compute it under no_grad?)")
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(f"backward(): grad can be implicitly created only for "
                                   f"scalar outputs; this output has shape {tuple(self.shape)}, "
                                   f"pass `gradient`")
            grad = backend.xp_of(self._data).ones(self.shape, dtype=self.dtype)
        else:
            grad = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if grad.shape != self.shape:
                raise ValueError(f"backward(): gradient has shape {tuple(grad.shape)} but the "
                                 f"output has shape {tuple(self.shape)}")
            if type(grad) is not type(self._data):
                raise ValueError(f"backward(): gradient is on {backend.device_of(grad)} but the "
                                 f"output is on {self.device}")
            grad = grad.astype(self.dtype, copy=False)
        run_backward(self, grad, retain_graph, Tensor._make)

    # ---- in-place updates of the data (optimizers, init, masking) -----------
    # Each bumps the version counter that the tensor shares with its views.
    def _check_inplace(self, op):
        if self.requires_grad and self.is_leaf and grad_mode.is_grad_enabled():
            raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                               f"in-place operation; wrap it in `with mc.no_grad():`")
        if not self.is_leaf and grad_mode.is_grad_enabled():
            raise RuntimeError(f"{op}: in-place update of a tensor that is part of the graph "
                               f"is not supported")

    def _operand(self, other):
        data = other._data if isinstance(other, Tensor) else other
        if backend.is_cupy_array(data) != self.is_cuda and not np.isscalar(data):
            raise ValueError(f"in-place op: operand on {backend.device_of(data)} but the tensor "
                             f"is on {self.device}")
        return data

    def zero_(self):
        self._check_inplace("zero_")
        self._data[...] = 0
        bump_version(self)
        return self

    def fill_(self, value):
        self._check_inplace("fill_")
        self._data[...] = self._operand(value)
        bump_version(self)
        return self

    def copy_(self, src):
        self._check_inplace("copy_")
        src = self._operand(src)
        if tuple(np.shape(src)) != self.shape:
            src = backend.xp_of(self._data).broadcast_to(src, self.shape)
        self._data[...] = src
        bump_version(self)
        return self

    def add_(self, other, alpha=1):
        self._check_inplace("add_")
        other = self._operand(other)
        self._data += other if alpha == 1 else alpha * other
        bump_version(self)
        return self

    def sub_(self, other, alpha=1):
        return self.add_(other, alpha=-alpha)

    def mul_(self, other):
        self._check_inplace("mul_")
        self._data *= self._operand(other)
        bump_version(self)
        return self

    def div_(self, other):
        self._check_inplace("div_")
        self._data /= self._operand(other)
        bump_version(self)
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with samples of N(mean, std²) (from `generator`, else the device's)."""
        self._check_inplace("normal_")
        rng = random.stream_of(generator, self.device)
        self._data[...] = rng.standard_normal(self._data.shape) * std + mean
        bump_version(self)
        return self

    def uniform_(self, from_=0.0, to=1.0, *, generator=None):
        """Fill with samples uniform on [from_, to) (PyTorch's `from`, a Python keyword)."""
        self._check_inplace("uniform_")
        rng = random.stream_of(generator, self.device)
        self._data[...] = rng.uniform(from_, to, self._data.shape)
        bump_version(self)
        return self

    def clamp_(self, min=None, max=None):
        self._check_inplace("clamp_")
        backend.xp_of(self._data).clip(self._data, min, max, out=self._data)
        bump_version(self)
        return self

    def _augmented(self, op, inplace, other):
        """`x op= y`: in place when nothing is recorded; while the graph records a non-leaf
        tensor, the out-of-place result (Python rebinds the name)."""
        if grad_mode.is_grad_enabled() and self.requires_grad and not self.is_leaf:
            return op(self, other)
        inplace(self, other)
        return self

    def __iadd__(self, other):
        return self._augmented(Tensor.__add__, Tensor.add_, other)

    def __isub__(self, other):
        return self._augmented(Tensor.__sub__, Tensor.sub_, other)

    def __imul__(self, other):
        return self._augmented(Tensor.__mul__, Tensor.mul_, other)

    def __itruediv__(self, other):
        return self._augmented(Tensor.__truediv__, Tensor.div_, other)

    def __setitem__(self, index, value):
        self._check_inplace("__setitem__")
        if isinstance(value, Tensor):
            if value.requires_grad and grad_mode.is_grad_enabled():
                raise RuntimeError("__setitem__: assigning a tensor that requires grad is not "
                                   "supported; use mc.where or mc.cat to build the result")
            value = value._data
        if isinstance(index, Tensor):
            index = index._data
        self._data[index] = value
        bump_version(self)

    # ---- printing ------------------------------------------------------------
    def __repr__(self):
        data = backend.to_device(self._data, "cpu")
        body = np.array2string(data, separator=", ", prefix="tensor(", threshold=1000,
                               edgeitems=3, precision=4,
                               floatmode="fixed" if data.dtype.kind == "f" else "maxprec")
        extras = []
        if self.is_cuda:
            extras.append(f"device='{self.device}'")
        default = get_default_dtype()
        if data.dtype not in (default, np.int64, np.bool_) or data.size == 0:
            extras.append(f"dtype={data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"
