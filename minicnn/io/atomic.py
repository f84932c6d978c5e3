"""`atomic_write(path)`: write a file so that readers see the old one or the whole new one.

The bytes go to a temporary file in the target's folder, named
`.<target>.tmp-<host>-<pid>-<random><suffix>`; on success it is flushed, fsynced and
`os.replace`d over the target (and the folder fsynced); on any exception the temporary
file is removed and the target is left as it was. The file is created as `open()` would
create it, with mode 0o666 less the umask.

A writer killed midway (SIGKILL, a crash, power loss) cannot remove its temporary file,
so each write first removes the leftovers of its own target: the temporary files named
by this pattern whose writer ran on this host and no longer exists. A live writer's file
(in this process or another), a file written from another host of a shared folder, and
every file not named by the pattern are left alone.
"""
import contextlib
import os
import re
import secrets
import socket
import zlib

_NAME_TRIES = 100


def _host_tag():
    """Eight hex digits for this host, so a shared folder's writers on other hosts, whose
    processes cannot be seen from here, are told apart."""
    return f"{zlib.crc32(socket.gethostname().encode('utf-8')):08x}"


def _is_running(pid):
    """Whether process `pid` may still be writing; True whenever that cannot be told."""
    if os.name != "posix":
        return True  # os.kill(pid, 0) is no probe there: keep every file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True
    return True


def remove_stale_temporaries(path, suffix):
    """Remove the temporary files of `path` left by writers on this host that are dead."""
    folder, target = os.path.split(os.path.abspath(path))
    pattern = re.compile(re.escape(f".{target}.tmp-{_host_tag()}-") + r"(\d+)-[0-9a-f]{8}"
                         + re.escape(suffix))
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match and not _is_running(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))


def _create_temporary(path, suffix):
    """(descriptor, name) of a new file beside `path`, created with mode 0o666 & ~umask."""
    folder, target = os.path.split(os.path.abspath(path))
    prefix = f".{target}.tmp-{_host_tag()}-{os.getpid()}-"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(_NAME_TRIES):
        name = os.path.join(folder, f"{prefix}{secrets.token_hex(4)}{suffix}")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"atomic_write: no free temporary name beside {path}")


@contextlib.contextmanager
def atomic_write(path, suffix=".tmp"):
    """Yield a binary file object; on a clean exit its contents become `path`."""
    path = os.fspath(path)
    remove_stale_temporaries(path, suffix)
    fd, tmp = _create_temporary(path, suffix)
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
    fsync_folder(os.path.dirname(os.path.abspath(path)))


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
