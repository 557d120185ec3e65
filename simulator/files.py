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
from pathlib import Path

from simulator.errors import CannotWriteError


def _reason(e: OSError) -> str:
    return (e.strerror or str(e)).rstrip(".")


def write_file(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` as described in the module doc."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
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
            with open(path, "wb") as f:
                f.write(raw)
        except OSError as e:
            raise CannotWriteError(f"{path}: cannot write: {_reason(e)}") from None
        return
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CannotWriteError(f"{path}: cannot create the folder {folder}: {_reason(e)}") from None
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode) if st is not None else 0o644)
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise CannotWriteError(f"{path}: cannot write: {_reason(e)}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


__all__ = ["write_file"]
