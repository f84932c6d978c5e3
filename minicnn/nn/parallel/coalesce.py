"""Broadcast many tensors from one rank as a few flat arrays (one per dtype and device),
so that a model's parameters and buffers cost a few collectives rather than hundreds."""
from ... import backend
from ...distributed import arrays
from ...version_counter import bump_version


def _groups(tensors):
    """The tensors grouped by (array module, device, dtype), in first-seen order."""
    groups = {}
    for t in tensors:
        key = (backend.device_of(t._data), t.dtype)
        groups.setdefault(key, []).append(t)
    return groups.values()


def broadcast_coalesced(tensors, src, call):
    """Overwrite every tensor of `tensors` in place with rank `src`'s values."""
    for group in _groups(tensors):
        xp = backend.xp_of(group[0]._data)
        flat = xp.concatenate([t._data.reshape(-1) for t in group])
        arrays.broadcast(flat, src, call)
        offset = 0
        for t in group:
            t._data[...] = flat[offset:offset + t._data.size].reshape(t.shape)
            offset += t._data.size
            bump_version(t)
