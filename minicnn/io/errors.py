"""The one error the readers raise for a file they refuse."""
import contextlib


class FileFormatError(ValueError):
    """A file that is truncated, corrupt, crafted, or of another kind than its reader reads.
    The message names the file and, where there is one, the key or entry at fault."""


@contextlib.contextmanager
def named_failures(where, problem):
    """Inside the block, any failure other than FileFormatError becomes one FileFormatError
    naming the file (`where`) and `problem`: a corrupt file fails wherever it fails."""
    try:
        yield
    except FileFormatError:
        raise
    except Exception as exc:
        raise FileFormatError(f"{where} is {problem} ({type(exc).__name__}: {exc})") from exc
