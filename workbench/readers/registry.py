"""Which reader class reads which content type.

Readers are registered by a content-type glob (``"video/*"``) and, optionally, a file
name glob (``"*_timestamps.csv"``), and named by a dotted ``"module:Class"`` string so
nothing is imported until a file of that type is read. Later registrations win, so a
user's reader overrides a built-in one. One reader reads one file.

Examples
--------
>>> from workbench.readers.registry import find_reader, known_content_types
>>> find_reader("video/mp4").__name__
'VideoReader'
>>> "text/csv" in known_content_types()
True
"""

from __future__ import annotations

import fnmatch
import importlib
import threading
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from workbench.errors import InvalidArgumentError, UnknownContentTypeError
from workbench.sidecars import TIMESTAMPS_GLOB

__all__ = ["find_reader", "known_content_types", "register_reader", "unregister_reader"]


@dataclass(frozen=True)
class _Entry:
    content_type: str
    target: str | type
    path_glob: str | None


_LOCK = threading.Lock()
_ENTRIES: list[_Entry] = []


def register_reader(content_type: str, reader: str | type, *, path_glob: str | None = None) -> None:
    """Register ``reader`` for files whose content type matches ``content_type``.

    Parameters
    ----------
    content_type : str
        A content type or glob, e.g. ``"video/mp4"``, ``"video/*"``, ``"application/x-rosbag"``.
    reader : str or type
        The reader class, or ``"package.module:ClassName"`` to import it on first use.
        A reader class takes ``(source, *, options)`` (a checked
        :class:`workbench.options.ReadOptions`) plus keywords of its own, and subclasses
        :class:`workbench.readers.base.BaseReader` (implementing its abstract methods).
    path_glob : str, optional
        Also require the file name to match this glob (e.g. ``"*_timestamps.csv"``).

    Examples
    --------
    >>> from workbench.readers import register_reader
    >>> register_reader("application/x-my-log", "mypkg.readers:MyLogReader")
    """
    if not isinstance(content_type, str) or "/" not in content_type:
        raise InvalidArgumentError(
            f"content_type={content_type!r} is not a content type; use e.g. 'video/mp4' "
            "or a glob such as 'video/*'"
        )
    if isinstance(reader, str) and ":" not in reader:
        raise InvalidArgumentError(
            f"reader={reader!r} must be a class or a 'package.module:ClassName' string"
        )
    with _LOCK:
        _ENTRIES.append(_Entry(content_type.lower(), reader, path_glob))


def unregister_reader(content_type: str, *, path_glob: str | None = None) -> None:
    """Remove every registration made for exactly ``content_type`` and ``path_glob``."""
    with _LOCK:
        _ENTRIES[:] = [
            e
            for e in _ENTRIES
            if not (e.content_type == content_type.lower() and e.path_glob == path_glob)
        ]


def known_content_types() -> list[str]:
    """Return the registered content-type globs, most recent first, without repeats."""
    with _LOCK:
        seen: dict[str, None] = {}
        for e in reversed(_ENTRIES):
            key = e.content_type if e.path_glob is None else f"{e.content_type} ({e.path_glob})"
            seen.setdefault(key, None)
    return list(seen)


def _load(target: str | type) -> type:
    if not isinstance(target, str):
        return target
    module, _, name = target.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise UnknownContentTypeError(
            f"the reader {target!r} is registered but cannot be imported ({exc}); "
            "install its package or fix the registration"
        ) from exc


def find_reader(content_type: str | None, path: Any = None) -> type:
    """Return the reader class for ``content_type`` (and file ``path``).

    Raises
    ------
    UnknownContentTypeError
        When no registered glob matches; the message lists the known types.
    """
    ctype = (content_type or "").split(";")[0].strip().lower()
    name = PurePath(str(path)).name if path is not None else ""
    with _LOCK:
        entries = list(reversed(_ENTRIES))
    for e in entries:
        if not fnmatch.fnmatchcase(ctype, e.content_type):
            continue
        if e.path_glob is not None and not fnmatch.fnmatch(name, e.path_glob):
            continue
        return _load(e.target)
    where = f" for {path}" if path is not None else ""
    raise UnknownContentTypeError(
        f"no reader for content type {content_type!r}{where}; known types: "
        f"{', '.join(known_content_types())}. Register one with "
        "workbench.register_reader(content_type, 'module:Class')"
    )


#: the built-in readers -> the content types they read (a pair: type and file-name glob,
#: the timestamps sidecar's from workbench.sidecars, where its names live),
#: registered in this order (later wins: the camera timestamps reader over plain CSV)
_BUILTINS: dict[str, list[str | tuple[str, str]]] = {
    "workbench.readers.video:VideoReader": ["video/*"],
    "workbench.readers.images:ImageReader": ["image/*", "inode/directory"],
    "workbench.readers.timeseries:TimeSeriesReader": [
        "text/csv",
        "application/csv",
        *(f"application/{kind}" for kind in ("vnd.apache.parquet", "x-parquet", "parquet")),
    ],
    "workbench.readers.camera_timestamps:CameraTimestampsReader": [
        ("text/csv", TIMESTAMPS_GLOB),
        "text/x-camera-timestamps",
    ],
    "workbench.formats.bags.reader:BagReader": [
        f"application/x-{kind}" for kind in ("rosbag", "ros2bag", "mcap")
    ],
    "workbench.formats.can.reader:CanReader": [
        *(f"application/x-can-{kind}" for kind in ("candump", "asc", "blf", "trc", "csv")),
        "application/x-mf4",
    ],
}


def _register_builtins() -> None:
    for target, types in _BUILTINS.items():
        for entry in types:
            ctype, glob = entry if isinstance(entry, tuple) else (entry, None)
            register_reader(ctype, target, path_glob=glob)


_register_builtins()
