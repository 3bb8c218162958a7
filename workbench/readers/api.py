"""``wb.read``: the one entry point to every reader.

Examples
--------
>>> import workbench as wb
>>> reader = wb.read("camera_01.mp4", target_frame_rate=2, resize_rate=0.25)  # doctest: +SKIP
>>> reader.plan()                      # frames and bytes, before decoding  # doctest: +SKIP
>>> for batch in reader:               # one batch per 10 s segment         # doctest: +SKIP
...     batch.frames.shape, batch.timestamps[0]
"""

from __future__ import annotations

import inspect
from typing import Any

from workbench.options import READ_OPTION_NAMES, ReadOptions, unknown_option
from workbench.readers.base import BaseReader
from workbench.readers.registry import find_reader
from workbench.readers.source import SourceLike, resolve_source

__all__ = ["read"]


def reader_option_names(reader_cls: type) -> list[str]:
    """The keyword options ``reader_cls(source, ...)`` accepts: the read options
    (:class:`~workbench.options.ReadOptions`' fields) and those of its own (its
    ``__init__`` and those it passes ``**kwargs`` on to).

    Examples
    --------
    >>> reader_option_names(BaseReader)[:3]
    ['start', 'end', 'target_frame_rate']
    """
    names: list[str] = list(READ_OPTION_NAMES)
    for klass in reader_cls.__mro__:
        # a reader that picks another reader class in __new__ (bags) takes options there
        methods = [klass.__dict__.get(m) for m in ("__new__", "__init__")]
        for method in (m for m in methods if m is not None and klass is not object):
            method = method.__func__ if isinstance(method, staticmethod) else method
            params = list(inspect.signature(method).parameters.values())[2:]  # self, source
            names += [
                p.name
                for p in params
                if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
                and p.name not in names
                and p.name != "options"
            ]
            if not any(p.kind is p.VAR_KEYWORD for p in params):
                return names
    return names


def check_reader_options(reader_cls: type, options: dict[str, Any]) -> None:
    """Raise :class:`InvalidArgumentError` naming an option ``reader_cls`` does not take.

    Examples
    --------
    >>> check_reader_options(BaseReader, {"fps": 2})
    Traceback (most recent call last):
    ...
    workbench.errors.InvalidArgumentError: unknown option fps=2: did you mean \
target_frame_rate=2? BaseReader takes start, end, target_frame_rate, resize_rate, size, \
segment_duration, format, mode
    """
    allowed = reader_option_names(reader_cls)
    for key, value in options.items():
        if key not in allowed:
            raise unknown_option(key, value, allowed, reader_cls.__name__)


def read(
    source: SourceLike,
    *,
    start: float | None = None,
    end: float | None = None,
    target_frame_rate: float | None = None,
    resize_rate: float | None = None,
    size: tuple[int, int] | None = None,
    segment_duration: float = 10.0,
    format: str = "rgb24",
    mode: str = "exact",
    options: ReadOptions | None = None,
    storage_options: dict[str, Any] | None = None,
    **reader_options: Any,
) -> BaseReader:
    """Return a lazy, segmented reader over one file.

    Nothing is decoded until the reader is iterated. The reader is chosen by the
    source's content type (see :func:`workbench.register_reader`).

    Parameters
    ----------
    source : Record, dict, str, os.PathLike, list of paths or Video
        A catalog ``Record``, a catalog row dict (dwtk keys accepted), a file path or an
        fsspec URL (``"s3://bucket/rec/camera_01.mp4"``), a folder or list of images, or
        an opened ``Video`` (local or remote).
    start, end, target_frame_rate, resize_rate, size, segment_duration, format, mode
        What to read, in the one vocabulary of :class:`workbench.options.ReadOptions`
        (its docstring says each): the window ``[start, end)`` in absolute seconds, on
        the axis of the batch timestamps (record ``start_timestamp`` + presentation
        time, or the per-frame timestamps sidecar; default the whole file); samples per
        second (the frame or row on screen at each ``start + k / target_frame_rate``;
        default every one); a scale factor or an output ``(width, height)`` for frames;
        seconds per batch (default 10: memory is bounded by a batch); the pixel layout
        (``"rgb24"``, ``"bgr24"``, ``"gray"``); ``"exact"`` or ``"keyframes"`` (the
        keyframe at or before each sample: a fast preview).
    options : ReadOptions, optional
        All of the above as one object, instead of the keywords.
    storage_options : dict, optional
        fsspec options for a URL (``endpoint_url``, credentials ...). Records, rows and
        Videos that carry their own need none.
    **reader_options
        Passed to the reader class (e.g. ``chunk_rows`` for time series). An option the
        reader does not take is refused with the right name (``fps`` ->
        ``target_frame_rate``, ``scale`` -> ``resize_rate``).

    Returns
    -------
    BaseReader
        Iterate for batches (``FrameBatch`` or ``SeriesBatch``); ``len()`` is the
        number of batches; ``.read_all()`` and ``.plan()``.

    Raises
    ------
    InvalidArgumentError
        A bad option (``start >= end``, a negative rate, an unknown format, an option
        the reader does not take ...).
    SourceNotFoundError
        The file does not exist.
    StorageError
        The storage of a remote file failed (unreachable, access denied ...).
    UnknownContentTypeError
        No reader is registered for the source's content type.

    Examples
    --------
    >>> import tempfile, pathlib, workbench as wb
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "gps.csv"
    >>> _ = p.write_text("timestamp,lat\\n0,35.0\\n0.1,35.1\\n")
    >>> wb.read(p).read_all().to_pandas()["lat"].tolist()
    [35.0, 35.1]
    >>> wb.read(p, start=3, end=1)
    Traceback (most recent call last):
    ...
    workbench.errors.InvalidArgumentError: start=3 must be before end=1 (absolute seconds)
    """
    options = ReadOptions.from_keywords(locals(), where="read")
    src = resolve_source(source, storage_options=storage_options)
    reader_cls = find_reader(src.content_type, src.name)
    check_reader_options(reader_cls, reader_options)
    return reader_cls(src, options=options, **reader_options)
