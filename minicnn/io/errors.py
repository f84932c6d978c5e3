"""The one error the readers raise for a file they refuse."""


class FileFormatError(ValueError):
    """A file that is truncated, corrupt, crafted, or of another kind than its reader reads.
    The message names the file and, where there is one, the key or entry at fault."""
