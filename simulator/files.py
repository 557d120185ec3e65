"""Writing output files (reports, exports, new scenarios) so that a bad target is a
one-line message and a failure never leaves half a file.

* An existing folder or symbolic link at the target is refused (a link is not followed:
  in a shared folder it could point at someone else's file).
* A regular file is written beside the target first and then moved over it in one step,
  so a full disk or a crash leaves the old file as it was; missing parent folders are
  created.
* A device or pipe (``-o /dev/stdout``) is written to directly.

Every failure is a :class:`~simulator.errors.CannotWriteError` (exit code 7) naming the
file and the reason.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from simulator.errors import CannotWriteError


def _reason(e: OSError) -> str:
    return (e.strerror or str(e)).rstrip(".")


@contextlib.contextmanager
def writing(path: Path, *, mode: int = 0o644) -> Iterator[BinaryIO]:
    """A binary file to stream ``path``'s content into (as described in the module doc):
    the file is in place only when the block ends without an exception.  ``mode``: the
    permissions of a new file (an existing one keeps its own)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise CannotWriteError(f"{path}: cannot write: {_reason(e)}") from None
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise CannotWriteError(f"{path}: is a symbolic link (to {os.readlink(path)}); not "
                               "writing through it: remove it or choose another file name")
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise CannotWriteError(f"{path}: is a folder; give a file name, e.g. {path / 'out'}")
    if st is not None and not stat.S_ISREG(st.st_mode):  # a device or a pipe
        try:
            # unbuffered: a write error shows at the write, not later at close
            dev = open(path, "wb", buffering=0)  # noqa: SIM115 - closed after the caller's block
        except OSError as e:
            raise CannotWriteError(f"{path}: cannot write: {_reason(e)}") from None
        with dev:
            yield dev
        return
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise CannotWriteError(f"{path}: cannot write in {folder}: {_reason(e)}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            try:
                f.flush()
                os.fsync(f.fileno())
            except OSError as e:
                raise CannotWriteError(f"{path}: cannot write: {_reason(e)}") from None
        try:
            os.chmod(tmp, stat.S_IMODE(st.st_mode) if st is not None else mode)
            os.replace(tmp, path)
        except OSError as e:
            raise CannotWriteError(f"{path}: cannot write: {_reason(e)}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_file(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` as described in the module doc."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with writing(path) as f:
        try:
            f.write(raw)
        except OSError as e:
            raise CannotWriteError(f"{path}: cannot write: {_reason(e)}") from None


__all__ = ["write_file", "writing"]
