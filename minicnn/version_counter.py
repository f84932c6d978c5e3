"""Version counters: how many times the memory of a tensor has been written in place.

A tensor and every tensor that aliases its memory (a view such as a reshape, a
transpose or a basic index of it, `detach()`, a Parameter made from it) share one
counter, as in PyTorch, so a write through any alias is seen by all. Every in-place
op (`add_`, `copy_`, `x[i] = v`, `relu_`, an optimizer step, `nn.init`) bumps it.

A node of the graph records, for each array it saved for backward that belongs to
an input or an output of the op, the counter and its value at that moment; the
backward pass compares them before the node runs, so a saved array modified in
place raises PyTorch's error instead of yielding a wrong gradient. Counters are
made on first need (a save, a write, a view), so most tensors never get one.
"""
import weakref


class VersionCounter:
    """The shared count of in-place writes; `graph_view` is set once a recorded op made
    a view of this memory, after which an in-place op that the graph records is refused
    (the view and its base would no longer agree on how the values were computed)."""

    __slots__ = ("value", "graph_view")

    def __init__(self):
        self.value = 0
        self.graph_view = False


def counter_of(tensor):
    """The tensor's counter, made on first use."""
    counter = tensor._version_counter
    if counter is None:
        counter = tensor._version_counter = VersionCounter()
    return counter


def bump_version(tensor):
    """Record one in-place write to `tensor`'s memory (seen by every alias of it)."""
    counter_of(tensor).value += 1


def _owner(array):
    """The object at the root of `array`'s chain of bases: arrays that share it alias."""
    while True:
        base = getattr(array, "base", None)
        if base is None:
            return array
        array = base


def _find(array, tensors):
    """The position in `tensors` (tensors or None) of the one whose memory `array` shares:
    the same array, or views (either way) of one memory; None when it is none of them."""
    for i, t in enumerate(tensors):
        if t is not None and t._data is array:
            return i
    owner = None
    for i, t in enumerate(tensors):
        if t is None or (t._data.base is None and array.base is None):
            continue                           # two arrays that own their memory
        if owner is None:
            owner = _owner(array)
        if _owner(t._data) is owner:
            return i
    return None


def share_if_aliased(outs, inputs, recorded):
    """Give each of `outs` (tensors just made by an op) the counter of the input whose
    memory its array is or views, if any; `recorded`: the op is in the graph. (An input
    cannot view an array the op made, so one without a base aliases only by identity.)"""
    for out in outs:
        array = out._data
        if array.base is None:
            for t in inputs:
                if t is not None and t._data is array:
                    break
            else:
                continue
        else:
            i = _find(array, inputs)
            if i is None:
                continue
            t = inputs[i]
        counter = out._version_counter = counter_of(t)
        if recorded:
            counter.graph_view = True


def record_saved_versions(node, inputs, outputs):
    """For each array `node` saved that is (or views) the memory of one of `inputs`
    (tensors, or None) or `outputs`, keep its counter, the counter's value now, the
    array's position in `node.saved`, and what the error message names: a weak reference
    to the input tensor, or the output's index."""
    records = []
    for position, array in enumerate(node.saved):
        if not hasattr(array, "base"):
            continue                           # None, or a Python value
        i = _find(array, inputs)
        if i is not None:
            tensor = inputs[i]
            source = weakref.ref(tensor)
        else:
            i = _find(array, outputs)
            if i is None:
                continue                       # an array only this node holds
            tensor = outputs[i]
            source = i
        counter = counter_of(tensor)
        records.append((counter, counter.value, position, source))
    if records:
        node.saved_versions = tuple(records)


def check_saved_versions(node):
    """Raise PyTorch's RuntimeError if an array `node` saved was modified in place since."""
    for counter, version, position, source in node.saved_versions:
        if counter.value != version:
            raise RuntimeError(_modified_message(node, counter.value, version, position,
                                                 source))


def _modified_message(node, now, expected, position, source):
    array = node.saved[position]
    if isinstance(source, int):
        shape, dtype, creator = array.shape, array.dtype, f", which is output {source} of " \
            f"{node.name},"
    else:
        tensor = source()
        shape, dtype = (array.shape, array.dtype) if tensor is None else (tensor.shape,
                                                                          tensor.dtype)
        fn = None if tensor is None else tensor.grad_fn
        creator = "" if fn is None else f", which is output {tensor.output_index} of {fn.name},"
    return (f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{dtype} [{', '.join(map(str, shape))}]]{creator} is at "
            f"version {now}; expected version {expected} instead. Hint: the backward of "
            f"{node.name} needs it; modify a clone() instead, or modify it after backward().")
