"""cupy.cuda.runtime for the emulated devices."""
from .devices import DEVICE_COUNT, CUDARuntimeError, Device, check_id, current_id

__all__ = ["CUDARuntimeError", "getDeviceCount", "getDevice", "setDevice", "deviceSynchronize",
           "runtimeGetVersion", "driverGetVersion", "getDeviceProperties", "memGetInfo"]

_TOTAL_BYTES = 16 * 2 ** 30


def getDeviceCount():
    return DEVICE_COUNT


def getDevice():
    return current_id()


def setDevice(device_id):
    Device(check_id(device_id)).use()


def deviceSynchronize():
    """Nothing to wait for."""


def runtimeGetVersion():
    return 13000


def driverGetVersion():
    return 13000


def getDeviceProperties(device_id):
    check_id(device_id)
    return {"name": b"minicnn CUDA emulator", "totalGlobalMem": _TOTAL_BYTES, "major": 9,
            "minor": 0, "multiProcessorCount": 1, "maxThreadsPerBlock": 1024,
            "sharedMemPerBlock": 48 * 1024, "warpSize": 32}


def memGetInfo():
    return _TOTAL_BYTES, _TOTAL_BYTES
