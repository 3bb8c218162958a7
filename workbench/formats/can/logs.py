"""Read raw CAN logs into :class:`~workbench.formats.can.frames.Frames` chunks.

The format comes from the content type (:mod:`workbench.content_types` maps suffixes):
candump ``.log`` is parsed by the vectorised :mod:`~workbench.formats.can.candump`;
Vector ``.asc`` and ``.blf``, PEAK ``.trc``, python-can ``.csv`` and ASAM ``.mf4`` bus
logging (through asammdf) are read by python-can's own readers, ``chunk_frames`` messages
at a time, so memory stays bounded by a chunk.

Examples
--------
>>> import tempfile, pathlib, can
>>> p = pathlib.Path(tempfile.mkdtemp()) / "bus.asc"
>>> with can.ASCWriter(p) as w:
...     w.on_message_received(can.Message(timestamp=1.0, arbitration_id=0x100, data=b"\\x07"))
>>> [f.ids.tolist() for f in iter_frames(p)]
[[256]]
>>> iter_frames("bus.xyz")
Traceback (most recent call last):
...
workbench.errors.UnknownContentTypeError: cannot read CAN log bus.xyz (content type None); \
supported: .log (candump), .asc, .blf, .trc, .csv (python-can), .mf4
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from workbench.content_types import content_type_of_suffix
from workbench.errors import CorruptMediaError, SourceNotFoundError, UnknownContentTypeError
from workbench.formats.can.frames import FrameColumns, Frames

__all__ = ["CAN_LOG_CONTENT_TYPES", "is_can_log", "iter_frames", "log_content_type"]

#: content type -> python-can reader class name (None: the vectorised candump reader)
CAN_LOG_CONTENT_TYPES: dict[str, str | None] = {
    "application/x-can-candump": None,
    "application/x-can-asc": "ASCReader",
    "application/x-can-blf": "BLFReader",
    "application/x-can-trc": "TRCReader",
    "application/x-can-csv": "CSVReader",
    "text/csv": "CSVReader",
    "application/x-mf4": "MF4Reader",
}
_SUPPORTED = ".log (candump), .asc, .blf, .trc, .csv (python-can), .mf4"


def is_can_log(content_type: str | None) -> bool:
    """True for the content types of raw CAN logs (not plain ``text/csv``, not databases).

    Examples
    --------
    >>> is_can_log("application/x-can-candump"), is_can_log("application/x-can-dbc")
    (True, False)
    """
    ctype = (content_type or "").split(";")[0].strip().lower()
    return ctype in CAN_LOG_CONTENT_TYPES and ctype != "text/csv"


def log_content_type(path: str | os.PathLike[str], content_type: str | None = None) -> str:
    """Return the CAN log content type of ``path`` (``content_type`` wins when given).

    Raises
    ------
    UnknownContentTypeError
        Not a CAN log format we read; the message lists those we do.
    """
    ctype = (content_type or content_type_of_suffix(path) or "").split(";")[0].strip().lower()
    if ctype not in CAN_LOG_CONTENT_TYPES:
        raise UnknownContentTypeError(
            f"cannot read CAN log {Path(path).name} (content type {ctype or None}); "
            f"supported: {_SUPPORTED}"
        )
    return ctype


def iter_frames(
    path: str | os.PathLike[str],
    *,
    content_type: str | None = None,
    chunk_frames: int = 200_000,
) -> Iterator[Frames]:
    """Yield the data frames of a CAN log in chunks, in log order.

    Parameters
    ----------
    path : str or os.PathLike
        The log file.
    content_type : str, optional
        Overrides the type guessed from the suffix (e.g. ``"application/x-can-csv"``).
    chunk_frames : int
        Frames per chunk for python-can's readers (the candump reader cuts ~8 MB blocks).

    Raises
    ------
    UnknownContentTypeError
        The format is not one we read (checked before anything is read).
    SourceNotFoundError
        The file does not exist.
    CorruptMediaError
        The file cannot be parsed; the message names it (and the line, for candump).
    """
    ctype = log_content_type(path, content_type)
    path = Path(path)
    if not path.is_file():
        raise SourceNotFoundError(f"CAN log {path} does not exist")
    reader_name = CAN_LOG_CONTENT_TYPES[ctype]
    if reader_name is None:
        from workbench.formats.can.candump import iter_candump

        return iter_candump(path)
    return _iter_python_can(path, reader_name, max(1, int(chunk_frames)))


def _iter_python_can(path: Path, reader_name: str, chunk: int) -> Iterator[Frames]:
    import can

    reader_cls = getattr(can, reader_name)
    try:
        # ASC times are relative unless asked for: absolute from the file's own start date
        options = {"relative_timestamp": False} if reader_name == "ASCReader" else {}
        reader = reader_cls(path, **options)
    except Exception as exc:  # python-can raises anything from struct.error to KeyError
        raise CorruptMediaError(f"{path} cannot be opened by can.{reader_name}: {exc}") from exc
    declared = getattr(reader, "file_size", None)  # BLF headers state the file's size
    if isinstance(declared, int) and declared > path.stat().st_size:
        reader.stop()
        raise CorruptMediaError(
            f"{path} is truncated: its header says {declared} bytes, the file has "
            f"{path.stat().st_size}; copy it again from the logger"
        )
    with reader:
        it = iter(reader)
        columns = FrameColumns()
        read = 0
        while True:
            try:
                msg = next(it)
            except StopIteration:
                break
            except Exception as exc:
                raise CorruptMediaError(
                    f"{path} cannot be parsed after frame {read} "
                    f"(can.{reader_name}: {exc}); fix or truncate the file"
                ) from exc
            columns.add(msg)
            read += 1
            if len(columns) >= chunk:
                yield columns.frames()
                columns = FrameColumns()
    if len(columns) or columns.remote_frames or columns.error_frames:
        yield columns.frames()
