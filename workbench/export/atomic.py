"""Write files so that a reader never sees half of one: temp name, then ``os.replace``.

The temp file lives in the destination folder (same file system, so the rename is
atomic) and is named ``.<name>.<random>.tmp``. On any error it is removed. ``fsync``
policy: ``fsync=True`` flushes the data to disk before the rename (use for single
precious files such as clips); frame dumps default to ``False`` for speed, because the
export manifest records each file with its size and a rerun redoes any file that a power
loss left short.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
>>> write_bytes_atomic(out, b"hello")
5
>>> out.read_bytes()
b'hello'
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from workbench.content_types import content_type_of_suffix
from workbench.errors import ExportError, InvalidArgumentError

__all__ = [
    "atomic_path",
    "check_output_folder",
    "check_writable",
    "export_error",
    "write_bytes_atomic",
]

def _write(fh: BinaryIO, data: bytes) -> None:
    """Write ``data`` to ``fh``; a seam tests patch to simulate a full disk."""
    fh.write(data)


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


def export_error(errno_: int | None, message: str) -> ExportError:
    """Build an :class:`ExportError` whose text shows the errno once: ``[Errno 28] ...``.

    ``message`` must not contain ``str()`` of another ``OSError`` (that repeats its
    ``[Errno N]``); use its ``strerror``. Without an errno the text is ``message`` alone.

    Examples
    --------
    >>> str(export_error(28, "cannot write a.jpg: the disk is full"))
    '[Errno 28] cannot write a.jpg: the disk is full'
    >>> str(export_error(None, "cannot write a.jpg"))
    'cannot write a.jpg'
    """
    return ExportError(errno_, message) if errno_ else ExportError(message)


def reason(exc: BaseException) -> str:
    """The text of ``exc`` without its ``[Errno N]`` prefix (for wrapping it in a message).

    Examples
    --------
    >>> reason(OSError(17, "File exists"))
    'File exists'
    >>> reason(ValueError("bad"))
    'bad'
    """
    if isinstance(exc, OSError) and exc.strerror:
        return str(exc.strerror)
    return str(exc)


def _export_error(path: Path, exc: OSError) -> ExportError:
    why = {
        errno.ENOSPC: "the disk is full; free some space and run the export again",
        errno.EDQUOT: "the disk quota is exceeded; free some space and run it again",
        errno.EROFS: "the file system is read-only; choose another output folder",
        errno.EACCES: "permission denied; choose a folder you can write to",
        errno.EPERM: "permission denied; choose a folder you can write to",
        errno.ENOTDIR: "a part of this path is a file, not a folder; choose another folder",
        errno.ENAMETOOLONG: "the path is too long; use a shorter folder or name template",
    }.get(exc.errno or 0, reason(exc))
    return export_error(exc.errno, f"cannot write {path}: {why}")


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, fsync: bool = False) -> int:
    """Write ``data`` to ``path`` atomically; return the number of bytes written.

    Raises
    ------
    ExportError
        The file could not be written (no space, no permission ...); nothing is left
        behind, neither the temp file nor a partial ``path``.
    """
    path = Path(path)
    tmp = _temp_name(path)
    try:
        with open(tmp, "wb") as fh:
            _write(fh, data)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _export_error(path, exc) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return len(data)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, fsync: bool = True) -> Iterator[Path]:
    """Yield a temp path next to ``path`` (same suffix); rename it to ``path`` on success.

    For writers that need a file name (e.g. PyAV muxers). On an exception the temp file
    is deleted and ``path`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "clip.mp4"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_bytes(b"x")
    >>> out.exists()
    True
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        yield tmp
        if fsync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, ExportError):
            raise
        raise _export_error(path, exc) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def check_output_folder(folder: str | os.PathLike[str]) -> Path:
    """Refuse an output folder that cannot be one, then create it and prove it writable.

    Says once what is wrong and what to do: an empty field, a path that is a file, a
    file on the way to it, or a name that looks like a file (``out.mp4``: a folder of
    that name would be made silently).

    Raises
    ------
    InvalidArgumentError
        ``folder`` is empty, or does not exist and ends in a data-file suffix.
    ExportError
        ``folder`` (or a part of its path) is a file, or it cannot be created or
        written to.

    Examples
    --------
    >>> for bad in ("", "out.mp4"):
    ...     try:
    ...         check_output_folder(bad)
    ...     except InvalidArgumentError as exc:
    ...         print(str(exc)[:48])
    the output folder is empty; give a folder to wri
    the output folder 'out.mp4' looks like a file na
    """
    text = os.fspath(folder)
    if not str(text).strip():
        raise InvalidArgumentError(
            "the output folder is empty; give a folder to write into, e.g. 'export' "
            "(it is created if missing)"
        )
    path = Path(text).expanduser()
    for part in (path, *path.parents):
        if part.exists() or part.is_symlink():
            if not part.is_dir():
                which = "is a file" if part == path else f"is inside {part}, which is a file"
                raise export_error(
                    errno.ENOTDIR,
                    f"the output folder {path} {which}, not a folder; give a folder "
                    "(it is created if missing)",
                )
            break
    kind = content_type_of_suffix(path)
    if kind is not None and not path.exists():
        clip = " (for one clip use export_clip)" if kind.startswith("video/") else ""
        raise InvalidArgumentError(
            f"the output folder {str(path)!r} looks like a file name ({kind}); give a "
            f"folder, e.g. {str(path.with_suffix(''))!r}{clip}"
        )
    return check_writable(path)


def check_writable(folder: str | os.PathLike[str]) -> Path:
    """Create ``folder`` if needed and prove it is writable; return it.

    Raises
    ------
    ExportError
        The folder cannot be created or written to.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = _temp_name(folder / "probe")
        with open(probe, "wb"):
            pass
        probe.unlink()
    except OSError as exc:
        raise _export_error(folder, exc) from exc
    return folder
