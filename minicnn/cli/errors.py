"""The command's user errors: a mistake in what was typed or pointed at, as opposed to a bug.

`UsageError` is raised by the commands themselves; `user_input(what)` marks a call that
consumes a value the user gave, so that the library's refusal of that value (a ValueError,
a missing file) becomes a UsageError naming the flag. `minicnn.cli.main` turns a UsageError
into one argparse-style line on stderr and exit status 2; any other exception is a bug and
keeps its traceback.
"""
import contextlib

from ..data.datasets.download import DatasetNotFoundError, DownloadError


class UsageError(Exception):
    """A user error; its message is one line, without the `minicnn CMD: error:` prefix."""


def one_line(text):
    """`text` with its lines joined, so that a multi-line library message stays one line."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


@contextlib.contextmanager
def user_input(what, errors=(ValueError, FileNotFoundError)):
    """Within the block, one of `errors` becomes a UsageError `what: <message>`."""
    try:
        yield
    except errors as error:
        raise UsageError(f"{what}: {one_line(error)}") from None


@contextlib.contextmanager
def dataset_input(name, download_flag="--download", root_flag="--data-root"):
    """Within the block, a dataset whose files are missing, cannot be fetched or are not
    what their reader reads (a ValueError naming the file) becomes a UsageError; a missing
    one names the expected paths and the flags that help."""
    try:
        yield
    except DatasetNotFoundError as error:
        files = ", ".join(str(error.folder / f) for f in error.files)
        raise UsageError(f"dataset {name!r} not found: expected {files}; pass {download_flag} "
                         f"to fetch it there, or {root_flag} DIR where it is kept") from None
    except DownloadError as error:
        raise UsageError(f"dataset {name!r} could not be downloaded: {one_line(error)}") \
            from None
    except ValueError as error:
        raise UsageError(f"dataset {name!r}: {one_line(error)}") from None
