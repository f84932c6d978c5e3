"""The emulated GPUs: two devices, a current device per thread (as in CUDA), and the runtime
queries, streams and events CuPy programs make. Work runs on the host as it is issued, so
synchronising has nothing to wait for."""
import threading
import time

DEVICE_COUNT = 2
_local = threading.local()


class CUDARuntimeError(RuntimeError):
    """What cupy.cuda.runtime raises for a failed runtime call."""


def current_id():
    """The current device of the calling thread (0 until set)."""
    return getattr(_local, "device", 0)


def check_id(device_id):
    if not isinstance(device_id, int) or not 0 <= device_id < DEVICE_COUNT:
        raise CUDARuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {device_id!r} "
                               f"(the emulator has devices 0..{DEVICE_COUNT - 1})")
    return device_id


class Device:
    """cupy.cuda.Device: `with Device(1):` makes device 1 current for the block."""

    def __init__(self, device=None):
        self.id = current_id() if device is None else check_id(int(device))
        self._previous = []

    def use(self):
        _local.device = self.id

    def __enter__(self):
        self._previous.append(current_id())
        self.use()
        return self

    def __exit__(self, *exc):
        _local.device = self._previous.pop()
        return False

    def synchronize(self):
        """Nothing to wait for: emulated work completes as it is issued."""

    @property
    def compute_capability(self):
        return "90"

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __int__(self):
        return self.id

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class Stream:
    """cupy.cuda.Stream; every emulated stream is the host's program order."""

    def __init__(self, null=False, non_blocking=False, ptds=False):
        self.ptr = 0

    def synchronize(self):
        """Nothing to wait for."""

    def use(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


Stream.null = Stream(null=True)


def get_current_stream():
    return Stream.null


class Event:
    """cupy.cuda.Event: records the host clock."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.time = None
        self.disable_timing = disable_timing

    def record(self, stream=None):
        self.time = time.perf_counter()

    def synchronize(self):
        """Nothing to wait for."""

    @property
    def done(self):
        return True


def get_elapsed_time(start, end):
    """Milliseconds between two recorded events."""
    for event in (start, end):
        if event.time is None:
            raise CUDARuntimeError("cudaErrorInvalidResourceHandle: an event that was never "
                                   "recorded has no time")
        if event.disable_timing:
            raise CUDARuntimeError("cudaErrorInvalidResourceHandle: an event made with "
                                   "disable_timing=True has no time")
    return (end.time - start.time) * 1e3
