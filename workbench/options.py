"""One vocabulary for reading a time window: :class:`ReadOptions`, checked once.

Every read over a time window says the same words, the ones users of dwtk know:
``start``, ``end`` (absolute seconds, the window ``[start, end)``), ``target_frame_rate``,
``resize_rate`` or ``size``, ``segment_duration``, ``format`` and ``mode``. The public entry
points (``wb.read``, ``Record.read``, ``Video.iter_batches``, the exports, the command
line) show these keywords in their signatures and turn them into one
:class:`ReadOptions` on their first line (:meth:`ReadOptions.from_keywords`); everything
below them takes and passes that one object, already checked.

Old spellings the workbench itself once used (``stop``, ``fps``, ``scale``,
``segment_seconds``: :data:`DEPRECATED_SPELLINGS`) still work where they used to, with a
:class:`~workbench.errors.WorkbenchDeprecationWarning` naming the new word; names from
other APIs (:data:`OPTION_ALIASES`) are refused with a "did you mean" hint.

The indexing methods of a video (``get_frame_at``, ``get_frames_at``,
``get_frame_played_at`` ...) read no window: they take only the options that shape each
frame (:data:`FRAME_OPTION_NAMES`: ``resize_rate`` or ``size``, and ``format``), through
:func:`frame_options`, with the same old spelling (``scale``) and warning.

This module sits below every layer (beside :mod:`workbench.errors`): the video layer's
``Video.iter_batches`` uses it as the readers and exports do.

Examples
--------
>>> from workbench.options import ReadOptions
>>> opts = ReadOptions(start=10, end=70, target_frame_rate=2, resize_rate=0.25)
>>> opts.start, opts.segment_duration
(10.0, 10.0)
>>> opts.replace(end=20).end
20.0
>>> ReadOptions(start=5, end=1)
Traceback (most recent call last):
...
workbench.errors.InvalidArgumentError: start=5 must be before end=1 (absolute seconds)
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import warnings
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from workbench.errors import InvalidArgumentError, WorkbenchDeprecationWarning

__all__ = [
    "DEPRECATED_SPELLINGS",
    "FORMATS",
    "FRAME_OPTION_NAMES",
    "MODES",
    "OPTION_ALIASES",
    "READ_OPTION_NAMES",
    "ReadOptions",
    "frame_options",
    "take_old_spellings",
    "unknown_option",
]

#: pixel layout -> (channels, column names) of the frames a read returns
FORMATS: dict[str, tuple[int, list[str]]] = {
    "rgb24": (3, ["r", "g", "b"]),
    "bgr24": (3, ["b", "g", "r"]),
    "gray": (1, ["gray"]),
}
#: ``"keyframes"``: the keyframe at or before each sample (the fast preview)
MODES = ("exact", "keyframes")

#: spellings the workbench's own API used before (Video.iter_batches, the CLI,
#: streams.run): still accepted there, with a deprecation warning naming the new word
DEPRECATED_SPELLINGS = {
    "stop": "end",
    "fps": "target_frame_rate",
    "scale": "resize_rate",
    "segment_seconds": "segment_duration",
}
#: names users bring from other APIs (OpenCV, torchcodec, dwtk habits) -> our word; only
#: a hint in the error that refuses them
OPTION_ALIASES = {
    **DEPRECATED_SPELLINGS,
    "frame_rate": "target_frame_rate",
    "rate": "target_frame_rate",
    "sample_rate": "target_frame_rate",
    "resize": "resize_rate",
    "resize_factor": "resize_rate",
    "segment": "segment_duration",
    "pix_fmt": "format",
}


def _finite(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{name}={value!r} is not a number") from exc
    if not math.isfinite(v):
        raise InvalidArgumentError(f"{name}={value!r} must be a finite number")
    return v


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclasses.dataclass(frozen=True)
class ReadOptions:
    """What a read over a time window returns; checked and normalised when made.

    Parameters
    ----------
    start, end : float, optional
        The window ``[start, end)`` in seconds on the source's time axis (absolute
        seconds for records and files; presentation seconds on a bare ``Video``).
        Default: the whole source.
    target_frame_rate : float, optional
        Samples per second: the frame (or row) on screen at each instant
        ``start + k / target_frame_rate``. Default: every frame / row.
    resize_rate : float, optional
        Scale factor for frames (``0.25`` = a quarter of the width and height).
    size : (int, int), optional
        Output ``(width, height)`` of frames, instead of ``resize_rate``.
    segment_duration : float
        Seconds of the time axis per batch (default 10): memory is bounded by a batch.
    format : {"rgb24", "bgr24", "gray"}
        Pixel layout of frames.
    mode : {"exact", "keyframes"}
        ``"keyframes"`` returns the keyframe at or before each sample (fast preview).

    Raises
    ------
    InvalidArgumentError
        Naming the first bad option (``start >= end``, a rate that is not a positive
        finite number, both ``resize_rate`` and ``size``, an unknown format ...).

    Examples
    --------
    >>> ReadOptions(size=(640, 360), resize_rate=0.5)
    Traceback (most recent call last):
    ...
    workbench.errors.InvalidArgumentError: give either resize_rate or size, not both
    """

    start: float | None = None
    end: float | None = None
    target_frame_rate: float | None = None
    resize_rate: float | None = None
    size: tuple[int, int] | None = None
    segment_duration: float = 10.0
    format: str = "rgb24"
    mode: str = "exact"

    def __post_init__(self) -> None:
        self._check()
        normal = {
            "start": _float_or_none(self.start),
            "end": _float_or_none(self.end),
            "target_frame_rate": _float_or_none(self.target_frame_rate),
            "resize_rate": _float_or_none(self.resize_rate),
            "size": None if self.size is None else (int(self.size[0]), int(self.size[1])),
            "segment_duration": float(self.segment_duration),
        }
        for name, value in normal.items():
            object.__setattr__(self, name, value)  # frozen: normalised once, here

    def _check(self) -> None:
        start, end, size = self.start, self.end, self.size
        if start is not None:
            _finite("start", start)
        if end is not None:
            _finite("end", end)
        if start is not None and end is not None and float(start) >= float(end):
            raise InvalidArgumentError(f"start={start} must be before end={end} (absolute seconds)")
        for name in ("target_frame_rate", "resize_rate", "segment_duration"):
            value = getattr(self, name)
            if value is not None and _finite(name, value) <= 0:
                raise InvalidArgumentError(f"{name}={value!r} must be a positive number")
        if self.segment_duration is None:
            raise InvalidArgumentError("segment_duration must be a positive number of seconds")
        if self.resize_rate is not None and size is not None:
            raise InvalidArgumentError("give either resize_rate or size, not both")
        if size is not None:
            ok = (
                isinstance(size, (tuple, list))
                and len(size) == 2
                and all(isinstance(v, (int, np.integer)) and v > 0 for v in size)
            )
            if not ok:
                raise InvalidArgumentError(
                    f"size={size!r} must be a (width, height) pair of positive integers"
                )
        if self.format not in FORMATS:
            raise InvalidArgumentError(f"format={self.format!r} is not one of {', '.join(FORMATS)}")
        if self.mode not in MODES:
            raise InvalidArgumentError(f"mode={self.mode!r} is not one of {', '.join(MODES)}")

    def replace(self, **changes: Any) -> ReadOptions:
        """A copy with ``changes`` (checked again).

        Examples
        --------
        >>> ReadOptions(start=0, end=60).replace(start=30, target_frame_rate=1)
        ReadOptions(start=30.0, end=60.0, target_frame_rate=1.0, resize_rate=None, \
size=None, segment_duration=10.0, format='rgb24', mode='exact')
        """
        return dataclasses.replace(self, **changes)

    def keywords(self) -> dict[str, Any]:
        """The options as keyword arguments (``{"start": ..., "end": ..., ...}``)."""
        return {name: getattr(self, name) for name in READ_OPTION_NAMES}

    @classmethod
    def from_keywords(
        cls,
        call: Mapping[str, Any],
        *,
        where: str,
        old_spellings: Mapping[str, Any] | None = None,
        exclude: Collection[str] = (),
        stacklevel: int = 3,
    ) -> ReadOptions:
        """The options of a public entry point's call, checked once.

        Parameters
        ----------
        call : mapping
            The entry point's arguments (``locals()`` on its first line): the read
            option names it has (others are ignored) and ``options``, a ready
            :class:`ReadOptions` given instead of the keywords.
        where : str
            The entry point's name, for messages (``"Video.iter_batches"``).
        old_spellings : mapping, optional
            Keywords the entry point took under another name (its ``**kwargs``): a
            spelling of :data:`DEPRECATED_SPELLINGS` is mapped to its new word with a
            :class:`~workbench.errors.WorkbenchDeprecationWarning`; any other name is
            refused with a "did you mean" hint.
        exclude : collection of str
            Names in ``call`` that mean something else there (``export_frames``'
            ``format`` is the image format).
        stacklevel : int
            Where the warning points: 3 is the line that called the entry point.

        Examples
        --------
        >>> def read_window(*, start=None, end=None, options=None, **old):
        ...     return ReadOptions.from_keywords(locals(), where="read_window", old_spellings=old)
        >>> read_window(start=1, end=2).end
        2.0
        >>> read_window(start=1, target_framerate=2)
        Traceback (most recent call last):
        ...
        workbench.errors.InvalidArgumentError: unknown option target_framerate=2: did you \
mean target_frame_rate=2? read_window takes start, end, target_frame_rate, resize_rate, \
size, segment_duration, format, mode
        """
        given = {
            name: call[name] for name in READ_OPTION_NAMES if name in call and name not in exclude
        }
        given.update(_renamed(old_spellings, READ_OPTION_NAMES, where, given, stacklevel + 1))
        ready = call.get("options")
        if ready is None:
            return cls(**given)
        if not isinstance(ready, ReadOptions):
            raise InvalidArgumentError(
                f"options={ready!r} must be a workbench.options.ReadOptions (or leave it out "
                "and pass start=, end=, target_frame_rate= ... as keywords)"
            )
        mixed = [name for name, value in given.items() if value != _DEFAULTS[name]]
        if mixed:
            changes = ", ".join(f"{n}={given[n]!r}" for n in mixed)
            raise InvalidArgumentError(
                f"{where} got options= and {changes}: give one of them, e.g. "
                f"options=options.replace({changes})"
            )
        return ready


#: the read option names, in signature order
READ_OPTION_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ReadOptions))
_DEFAULTS: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(ReadOptions)}
#: the read options that shape each returned frame: all that an indexing method
#: (``Video.get_frame_at``, ``get_frames_at`` ...) takes
FRAME_OPTION_NAMES: tuple[str, ...] = ("resize_rate", "size", "format")


def frame_options(
    call: Mapping[str, Any],
    *,
    where: str,
    old_spellings: Mapping[str, Any] | None = None,
    stacklevel: int = 3,
) -> dict[str, Any]:
    """The frame options (:data:`FRAME_OPTION_NAMES`) of an indexing method's call.

    The old spelling ``scale`` (of ``resize_rate``, as in :data:`DEPRECATED_SPELLINGS`)
    is renamed with a :class:`~workbench.errors.WorkbenchDeprecationWarning`; any other
    name is refused with a "did you mean" hint. The values are checked where the
    frame's output spec is made (:meth:`workbench.video.frames.OutputSpec.make`).

    Parameters
    ----------
    call : mapping
        The method's arguments (``locals()``): ``resize_rate``, ``size``, ``format``.
    where : str
        The method's name, for messages (``"Video.get_frame_at"``).
    old_spellings : mapping, optional
        The keywords it took under another name (its ``**old_spellings``).
    stacklevel : int
        Where the warning points: 3 is the line that called the method.

    Examples
    --------
    >>> import warnings
    >>> call = {"resize_rate": None, "size": None, "format": "gray"}
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     frame_options(call, where="Video.get_frame_at", old_spellings={"scale": 0.5})
    {'resize_rate': 0.5, 'size': None, 'format': 'gray'}
    >>> print(caught[0].message)
    Video.get_frame_at: scale= is deprecated, use resize_rate= (same meaning)
    >>> frame_options(call, where="Video.get_frame_at", old_spellings={"fps": 2})
    Traceback (most recent call last):
    ...
    workbench.errors.InvalidArgumentError: unknown option fps=2: Video.get_frame_at takes \
resize_rate, size, format
    """
    given = {name: call[name] for name in FRAME_OPTION_NAMES}
    given.update(_renamed(old_spellings, FRAME_OPTION_NAMES, where, given, stacklevel + 1))
    return given


def _renamed(
    old_spellings: Mapping[str, Any] | None,
    names: Collection[str],
    where: str,
    given: Mapping[str, Any],
    stacklevel: int,
) -> dict[str, Any]:
    """The old spellings (of :data:`DEPRECATED_SPELLINGS`) of the options ``names`` that
    ``old_spellings`` holds, under their new names (a warning each)."""
    if not old_spellings:
        return {}
    renames = {old: new for old, new in DEPRECATED_SPELLINGS.items() if new in names}
    return take_old_spellings(
        old_spellings,
        renames,
        where=where,
        allowed=names,
        given=given,
        defaults=_DEFAULTS,
        stacklevel=stacklevel + 1,
    )


def take_old_spellings(
    old_spellings: Mapping[str, Any],
    renames: Mapping[str, str],
    *,
    where: str,
    allowed: Collection[str],
    given: Mapping[str, Any],
    defaults: Mapping[str, Any],
    stacklevel: int = 3,
) -> dict[str, Any]:
    """Map keywords given under an old name (``renames``: old -> new) to their new names,
    warning once per name with :class:`~workbench.errors.WorkbenchDeprecationWarning`.

    A name that is not an old spelling is refused with a "did you mean" hint
    (:func:`unknown_option`); an old and a new spelling of one option in the same call
    (the new one not at its default in ``given``) are refused too.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     take_old_spellings({"fps": 5}, {"fps": "output_frame_rate"}, where="map_streams",
    ...                        allowed=["output_frame_rate"], given={},
    ...                        defaults={"output_frame_rate": None})
    {'output_frame_rate': 5}
    >>> print(caught[0].message)
    map_streams: fps= is deprecated, use output_frame_rate= (same meaning)
    """
    out: dict[str, Any] = {}
    for old, value in old_spellings.items():
        new = renames.get(old)
        if new is None:
            raise unknown_option(old, value, allowed, where)
        if given.get(new, defaults[new]) != defaults[new]:
            raise InvalidArgumentError(
                f"{where} got {new}={given[new]!r} and {old}={value!r}: {old} is the old "
                f"spelling of {new}; give {new} only"
            )
        warnings.warn(
            f"{where}: {old}= is deprecated, use {new}= (same meaning)",
            WorkbenchDeprecationWarning,
            stacklevel=stacklevel,
        )
        out[new] = value
    return out


def unknown_option(
    name: str, value: Any, allowed: Collection[str], where: str
) -> InvalidArgumentError:
    """The error for an option ``where`` does not take, with the right name when known.

    Examples
    --------
    >>> print(unknown_option("fps", 2, READ_OPTION_NAMES, "VideoReader"))
    unknown option fps=2: did you mean target_frame_rate=2? VideoReader takes start, end, \
target_frame_rate, resize_rate, size, segment_duration, format, mode
    """
    guess = OPTION_ALIASES.get(name) or next(
        iter(difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)), None
    )
    hint = f"did you mean {guess}={value!r}? " if guess in allowed else ""
    return InvalidArgumentError(
        f"unknown option {name}={value!r}: {hint}{where} takes {', '.join(allowed)}"
    )
