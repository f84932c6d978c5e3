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

from . import backend, grad_mode, random, trace_mode
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
        """The host array, for NumPy; device data is never copied implicitly."""
        if self.is_cuda:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            f"Tensor.cpu() to copy the tensor to host memory first.")
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    # ---- DLPack: zero-copy exchange with PyTorch, CuPy, NumPy, JAX ... -------------
    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule of this tensor's memory (its array's own, so the consumer shares
        it), for `torch.from_dlpack(t)`, `cupy.from_dlpack(t)` ... As PyTorch, a tensor that
        requires grad is refused (BufferError); so is a view with negative strides, which
        PyTorch cannot hold (it has none; `.contiguous()` gives a copy that exports). Only
        the arguments given are passed on, so older NumPy and CuPy keep working."""
        if self.requires_grad:
            raise BufferError("Can't export tensors that require gradient, use "
                              "tensor.detach()")
        if any(s < 0 for s in self._data.strides):
            raise BufferError(f"__dlpack__: the tensor (shape {tuple(self.shape)}, strides "
                              f"{self._data.strides} in bytes) has negative strides, which "
                              f"PyTorch cannot hold; export tensor.contiguous(), a copy")
        given = dict(stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)
        return self._data.__dlpack__(**{k: v for k, v in given.items() if v is not None})

    def __dlpack_device__(self):
        """(DLPack device type, index): (1, 0) for the CPU, (2, n) for CUDA device n."""
        return (2, self._data.device.id) if self.is_cuda else (1, 0)

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
        with backend.on_device_of(self._data):
            grad = self._seed_gradient(gradient)
        run_backward(self, grad, retain_graph, Tensor._make)

    def _seed_gradient(self, gradient):
        """The array backward starts from: ones for a scalar output, else `gradient` (a
        Tensor, an array or Python data), which must be shaped like this tensor and, when it
        is device data, live on its device."""
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(f"backward(): grad can be implicitly created only for "
                                   f"scalar outputs; this output has shape {tuple(self.shape)}, "
                                   f"pass `gradient`")
            return backend.xp_of(self._data).ones(self.shape, dtype=self.dtype)
        grad = gradient._data if isinstance(gradient, Tensor) else gradient
        if not (isinstance(grad, np.ndarray) or backend.is_cupy_array(grad)):
            grad = as_array(grad, self.dtype, self.device)      # Python numbers and lists
        backend.check_same_device("backward", (self._data, grad))
        if grad.shape != self.shape:
            raise ValueError(f"backward(): gradient has shape {tuple(grad.shape)} but the "
                             f"output has shape {tuple(self.shape)}")
        return grad.astype(self.dtype, copy=False)

    # ---- in-place updates of the data (optimizers, init, masking) -----------
    # Each bumps the version counter that the tensor shares with its views.
    def _check_inplace(self, op):
        if self.requires_grad and self.is_leaf and grad_mode.is_grad_enabled():
            raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                               f"in-place operation; wrap it in `with mc.no_grad():`")
        if not self.is_leaf and grad_mode.is_grad_enabled():
            raise RuntimeError(f"{op}: in-place update of a tensor that is part of the graph "
                               f"is not supported")

    def _update(self, op, write, operand=None):
        """Write into this tensor's array in place, on its device: `write(data, operand)`,
        with `operand` a number or the array of a tensor on this device; the version counter
        bumped."""
        self._check_inplace(op)
        trace_mode.check_write(self, op)
        if isinstance(operand, Tensor):
            operand = operand._data
        if isinstance(operand, np.ndarray) or backend.is_cupy_array(operand):
            backend.check_same_device(op, (self._data, operand))
        with backend.on_device_of(self._data):
            write(self._data, operand)
        bump_version(self)
        return self

    def zero_(self):
        return self._update("zero_", _assign, 0)

    def fill_(self, value):
        return self._update("fill_", _assign, value)

    def copy_(self, src):
        """Copy `src` (broadcast) into this tensor, from whichever device it is on."""
        src = src._data if isinstance(src, Tensor) else src
        return self._update("copy_", _assign, backend.to_device(src, self.device))

    def add_(self, other, alpha=1):
        return self._update("add_", _add if alpha == 1 else lambda d, o: _add(d, alpha * o),
                            other)

    def sub_(self, other, alpha=1):
        return self.add_(other, alpha=-alpha)

    def mul_(self, other):
        return self._update("mul_", _multiply, other)

    def div_(self, other):
        return self._update("div_", _divide, other)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with samples of N(mean, std²) (from `generator`, else the device's)."""
        rng = random.stream_of(generator, self.device)
        return self._update("normal_", lambda d, _: d.__setitem__(
            ..., rng.standard_normal(d.shape) * std + mean))

    def uniform_(self, from_=0.0, to=1.0, *, generator=None):
        """Fill with samples uniform on [from_, to) (PyTorch's `from`, a Python keyword)."""
        rng = random.stream_of(generator, self.device)
        return self._update("uniform_", lambda d, _: d.__setitem__(
            ..., rng.uniform(from_, to, d.shape)))

    def clamp_(self, min=None, max=None):
        return self._update("clamp_",
                            lambda d, _: backend.xp_of(d).clip(d, min, max, out=d))

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
        if isinstance(value, Tensor) and value.requires_grad and grad_mode.is_grad_enabled():
            raise RuntimeError("__setitem__: assigning a tensor that requires grad is not "
                               "supported; use mc.where or mc.cat to build the result")
        if isinstance(index, Tensor):
            index = index._data
        self._update("__setitem__", lambda d, v: d.__setitem__(index, v), value)

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


def _assign(data, value):
    """data[...] = value, broadcast (copy_, fill_, zero_)."""
    data[...] = value


def _add(data, value):
    data += value


def _multiply(data, value):
    data *= value


def _divide(data, value):
    data /= value
