"""`atomic_write(path)`: write a file so that readers see the old one or the whole new one.

The bytes go to a temporary file in the target's folder; on success it is flushed, fsynced
and `os.replace`d over the target (and the folder fsynced); on any exception the temporary
file is removed and the target is left as it was.
"""
import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path, suffix=".tmp"):
    """Yield a binary file object; on a clean exit its contents become `path`."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=suffix, dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_folder(folder)


def fsync_folder(folder):
    """Flush a folder's entries (a rename) to disk, where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
