"""Fetching dataset files: where they live, which mirror to use, checksums, atomic writes.

- Files live under `default_root()`: `$MINICNN_DATA` if set, else `~/.cache/minicnn`.
- A dataset's mirror list (base URLs) can be replaced by its `mirrors=` argument or by
  `$MINICNN_DATA_MIRROR` (one base URL, or several separated by commas).
- `download_file` tries each mirror, retrying a failed attempt once, streams into a
  temporary file in the destination folder, checks the MD5, fsyncs and `os.replace`s it
  into place; a failure leaves neither a partial file nor a temporary one.
"""
import hashlib
import http.client
import os
import time
from pathlib import Path

from ...io.atomic import atomic_write

MIRROR_ENV = "MINICNN_DATA_MIRROR"
ROOT_ENV = "MINICNN_DATA"
RETRIES = 1          # extra attempts per mirror after a failure
RETRY_DELAY = 1.0    # seconds before a retry
TIMEOUT = 60         # seconds without data before a request fails
CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """A file could not be fetched from any mirror."""


class ChecksumError(DownloadError):
    """A file arrived, but its MD5 is not the published one."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not on disk: `folder` is where they were looked for, `files`
    their names there, so that a program can name the expected paths its own way."""

    def __init__(self, message, folder, files):
        super().__init__(message)
        self.folder = Path(folder)
        self.files = list(files)


def default_root():
    """Where datasets are kept when no `root` is given."""
    return Path(os.environ.get(ROOT_ENV) or Path.home() / ".cache" / "minicnn").expanduser()


def resolve_root(root):
    return default_root() if root is None else Path(root).expanduser()


def resolve_mirrors(mirrors, default):
    """The base URLs to try: `mirrors` if given, else $MINICNN_DATA_MIRROR, else `default`."""
    if mirrors is None:
        env = os.environ.get(MIRROR_ENV, "").strip()
        mirrors = [m for m in env.replace(",", " ").split()] if env else default
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    mirrors = [m if m.endswith("/") else m + "/" for m in mirrors]
    if not mirrors:
        raise ValueError("no mirror to download from")
    return mirrors


def md5sum(path, chunk=1 << 20):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def check_md5(path, md5):
    return Path(path).is_file() and (md5 is None or md5sum(path) == md5.lower())


def _fetch(url, destination, md5, progress):
    """One attempt: stream `url` into a temporary file beside `destination`, verify, move."""
    import urllib.error
    import urllib.request

    from tqdm.auto import tqdm

    digest = hashlib.md5(usedforsecurity=False)
    request = urllib.request.Request(url, headers={"User-Agent": "minicnn"})
    with atomic_write(destination, suffix=".part") as out:
        try:
            response = urllib.request.urlopen(request, timeout=TIMEOUT)
        except urllib.error.HTTPError as error:
            error.close()
            raise DownloadError(f"HTTP Error {error.code}: {error.reason}") from None
        with response, tqdm(total=None, unit="B", unit_scale=True, unit_divisor=1024,
                            desc=destination.name, disable=not progress, leave=False) as bar:
            total = response.headers.get("Content-Length")
            bar.total = int(total) if total else None
            for block in iter(lambda: response.read(CHUNK), b""):
                out.write(block)
                digest.update(block)
                bar.update(len(block))
        if total is not None and out.tell() != int(total):
            raise DownloadError(f"connection closed after {out.tell()} of {total} bytes")
        got = digest.hexdigest()
        if md5 is not None and got != md5.lower():
            raise ChecksumError(f"MD5 mismatch for {url}: expected {md5.lower()}, got {got}; "
                                f"the download is corrupt or the mirror serves another file, "
                                f"so nothing was kept")


def download_file(filename, folder, md5, mirrors, progress=True):
    """Make `folder/filename` hold the file with this MD5, fetching `mirror + filename` from
    the first mirror that works (each failure is retried once). Returns the path.

    Raises ChecksumError if every attempt delivered a file with another MD5, otherwise
    DownloadError listing each attempt; neither leaves a file behind.
    """
    folder = Path(folder)
    destination = folder / filename
    if check_md5(destination, md5):
        return destination
    folder.mkdir(parents=True, exist_ok=True)
    failures = []
    for mirror in [mirrors] if isinstance(mirrors, str) else mirrors:
        url = mirror.rstrip("/") + "/" + filename
        for attempt in range(1 + RETRIES):
            if attempt:
                time.sleep(RETRY_DELAY)
            try:
                _fetch(url, destination, md5, progress)
                return destination
            except (OSError, http.client.HTTPException, DownloadError, ValueError) as error:
                failures.append((url, error))
    lines = "\n".join(f"  {url}: {error}" for url, error in failures)
    kind = ChecksumError if all(isinstance(e, ChecksumError) for _, e in failures) \
        else DownloadError
    raise kind(f"could not download {filename} into {folder}:\n{lines}")


def missing_files_error(dataset, folder, files, urls):
    """The DatasetNotFoundError (a FileNotFoundError) for a dataset whose files are not on
    disk."""
    listing = "\n".join(f"  {Path(folder) / name}" for name in files)
    sources = "\n".join(f"  {u}" for u in urls)
    return DatasetNotFoundError(
        f"{dataset}: dataset files not found; expected:\n{listing}\n"
        f"Pass download=True to fetch them there, or download them from\n{sources}\n"
        f"into {folder} yourself. (The root folder is the `root` argument, else "
        f"${ROOT_ENV}, else ~/.cache/minicnn.)", folder, files)
