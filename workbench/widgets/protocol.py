"""The messages between the widgets' front ends and the kernel: their one description.

``widgets/README.md`` and the front ends (``widgets/``) point here; this module also
validates what the scrubber's view sends and builds the kernel's replies. Messages are
anywidget custom messages: a JSON object plus, where said, binary buffers.

The scrubber (``VideoScrubber``, ``widgets/scrubber.js``)
---------------------------------------------------------
Frames never live in widget state: the view asks for one and the kernel answers with a
JSON header plus the JPEG bytes as the reply's one buffer. Every message of the view
carries ``seq``, the view's request counter (an integer ``0..MAX_SEQ``), which the
kernel echoes in every reply to it. Every view of a widget receives every reply and
takes only its own seqs (each view starts counting at a random point).

**Frame request** (view -> kernel), one in flight at a time; the view always asks for
the latest wanted position::

    {"type": "frame", "index": 41, "seq": 7, "preview": false, "hint": "step",
     "offset_seconds": 0}

``index`` is clamped into the video. ``preview`` (while dragging): a keyframe preview
will do if the exact frame is not at hand. ``hint`` (one of :data:`HINTS`, default
``"step"``) only steers the kernel's prefetcher. ``offset_seconds`` (optional, default
0) asks for the frame on screen that many seconds after (or before) frame ``index``, so
that +/-1 s steps are exact on variable frame rates.

**Frame reply** (kernel -> view, ``buffers=[jpeg]``)::

    {"type": "frame", "index": 41, "seq": 7, "exact": true, "time": 1.3667,
     "timestamp": 1690000001.3667, "keyframe_index": 30, "width": 1280, "height": 720,
     "prefetch": false}

``index`` is the frame shown: the one asked for, or (``offset_seconds``) the one it
resolved to, or while playing possibly a frame just before the one due. ``exact`` is
false when the picture is the keyframe preview of ``keyframe_index``; the view then asks
again with ``preview: false`` when the hand rests or lets go. ``time`` is seconds from
the video's start, ``timestamp`` absolute seconds; ``width``/``height`` the JPEG's size
(the ``view_width`` the view asked for). ``prefetch`` is true in replies to a prefetch
batch.

**Playback** is pushed: every message to the kernel costs the browser a busy/idle status
round (see :mod:`workbench.widgets.playback`), so the view opens a session and the kernel
pushes frames, paced by credits the view returns in batches once frames are painted or
dropped::

    {"type": "play", "seq": 9, "first": 121, "stride": 1, "credit": 6}
    {"type": "credit", "seq": 9, "n": 3, "first": 130}   # 3 shown; skip to 130 if behind
    {"type": "stop", "seq": 9}

Each pushed frame is a frame reply with the session's ``seq``; the view paints each at
its presentation time and drops the late ones. ``stride`` (frames between two sent
frames) is above 1 above 1x playback.

**Prefetch** (view -> kernel): while idle, the view fills its own store (decoded frames
around the cursor, keyframe previews for dragging), one batch in flight at a time, at
most :data:`MAX_PREFETCH_BATCH` indices::

    {"type": "prefetch", "seq": 8, "indices": [42, 43, 44], "preview": false}

Each index is answered by its own frame reply (``"prefetch": true``, the batch's
``seq``); frames the kernel has cached go back at once, the others after any request the
view is waiting on. ``preview: true``: the indices are keyframes, and their previews are
wanted.

**Keyframes** (for mapping a drag position to its preview), asked once per view::

    {"type": "keyframes", "seq": 1}
    {"type": "keyframes", "seq": 1, "count": 3}   # buffers=[n little-endian int32]

**Errors.** Every message from the view gets an answer, a malformed one included (a
field of the wrong type, a number out of range, an unknown ``type``, not a dict at all):
an error reply, with the message's ``seq`` when it has a usable one and ``null``
otherwise, so that no request of the view waits forever; the view gives up on that
request (a whole prefetch batch too)::

    {"type": "error", "seq": 7, "message": "frame message field 'index' must be ..."}

A frame that fails to decode gets an error reply with its ``index`` as well: it answers
that one frame (one reply of a prefetch batch), not the whole message.

The other widgets
-----------------
- ``Filmstrip`` (``widgets/filmstrip.js``): the view sends ``{"type": "thumbs"}`` once;
  the kernel answers ``{"type": "thumbs", "indices": [...]}`` with one JPEG buffer per
  thumbnail, or ``{"type": "error", "message"}``.
- ``MapView`` (``widgets/map_view.js``): a click on a track sends ``{"type": "seek",
  "timestamp", "record_id"}``; the kernel moves a linked scrubber to the frame nearest
  that time. The tracks arrive in the ``points`` traitlet (one buffer of float64
  ``(t, x, y, value)`` per point), not as messages.
- ``Timeline`` (``widgets/timeline.js``): naming a Shift+dragged range sends
  ``{"type": "label", "start", "end", "label"}``; the kernel stores it in the catalog and
  sends the new ``bands`` back as a traitlet.
- ``ExportPanel`` (``widgets/export_panel.js``): ``{"type": "export"}`` and
  ``{"type": "cancel"}``; progress and results come back as traitlets.
- ``EventList`` and ``CatalogList`` send no messages: a click sets a synced traitlet.

Examples
--------
>>> req = parse_frame_request({"type": "frame", "index": 3, "seq": 1}, num_frames=10)
>>> req.index, req.seq, req.preview
(3, 1, False)
>>> reply = frame_reply(req, index=3, exact=True, time=0.1, timestamp=0.1, keyframe_index=0)
>>> reply["seq"]
1
>>> " ".join(sorted(reply))  # the fields described above
'exact height index keyframe_index prefetch seq time timestamp type width'
>>> message_type({"type": ["frame"], "seq": 4})
Traceback (most recent call last):
...
workbench.errors.InvalidArgumentError: message type ['frame'] is not one of ...
>>> message_seq({"type": "keyframes", "seq": "abc"}) is None
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.errors import InvalidArgumentError

__all__ = [
    "HINTS",
    "MAX_PREFETCH_BATCH",
    "MAX_SEQ",
    "MESSAGE_TYPES",
    "FrameRequest",
    "PlayMessage",
    "PrefetchRequest",
    "error_reply",
    "frame_reply",
    "keyframes_reply",
    "message_seq",
    "message_type",
    "parse_frame_request",
    "parse_keyframes_request",
    "parse_play_message",
    "parse_prefetch_request",
]

#: Why the view asked; only steers the prefetcher.
HINTS = ("open", "drag", "rest", "release", "settle", "step", "play", "kernel")

#: Most frames one prefetch batch may ask for.
MAX_PREFETCH_BATCH = 32

#: Every message type a scrubber's view sends.
MESSAGE_TYPES = ("frame", "prefetch", "keyframes", "play", "credit", "stop")

#: Largest usable ``seq``: the view counts in JavaScript numbers, exact up to 2**53 - 1
#: (``Number.MAX_SAFE_INTEGER``); a larger one cannot be matched to its request.
MAX_SEQ = 2**53 - 1


@dataclass(frozen=True)
class FrameRequest:
    """One request from the view for the frame at ``index``.

    Attributes
    ----------
    index
        Frame index (presentation order), already clamped into the video.
    seq
        The view's request counter; echoed in the reply so the view can match it.
    preview
        True while dragging: a keyframe preview is good enough if the exact frame is
        not at hand.
    hint
        Why the view asked (one of :data:`HINTS`).
    offset_seconds
        Step this many seconds from ``index`` (0: none).
    """

    index: int
    seq: int
    preview: bool = False
    hint: str = "step"
    offset_seconds: float = 0.0
    prefetch: bool = False


@dataclass(frozen=True)
class PrefetchRequest:
    """A batch of frames the view wants for its own cache (not to show now).

    Attributes
    ----------
    indices
        Frame indices, clamped into the video, in the order the view wants them.
    seq
        Echoed in every reply of the batch.
    preview
        Ask for keyframe previews (``indices`` are keyframes) instead of exact frames.
    """

    indices: tuple[int, ...]
    seq: int
    preview: bool = False

    def requests(self) -> list[FrameRequest]:
        """One :class:`FrameRequest` per index, marked as prefetch."""
        return [
            FrameRequest(index=i, seq=self.seq, preview=self.preview, hint="step", prefetch=True)
            for i in self.indices
        ]


@dataclass(frozen=True)
class PlayMessage:
    """A playback message from the view: open a session, return credit, or stop.

    Attributes
    ----------
    kind
        ``"play"``, ``"credit"`` or ``"stop"``.
    seq
        The session (the view's request counter when it started playing).
    first
        The earliest frame the view still wants (``play``: the first to send).
    stride
        Frames between two sent frames (``play`` only; >1 above 1x playback).
    credit
        ``play``: how many frames may be outstanding; ``credit``: how many more.
    """

    kind: str
    seq: int
    first: int = 0
    stride: int = 1
    credit: int = 0


def _is_number(value: Any) -> bool:
    """True for an int of any size or a finite float (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _brief(value: Any) -> str:
    """A short repr of a value from the view, for error messages (never raises)."""
    try:
        text = repr(value)
    except ValueError:  # e.g. an int with more digits than Python prints
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def _bad_field(content: dict[str, Any], key: str, value: Any, what: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"{content.get('type')} message field {key!r} must be {what}, got {_brief(value)}"
    )


def _integer(content: dict[str, Any], key: str, default: int | None = 0) -> int:
    """Field ``key`` as an integer (a float is truncated); ``default`` if absent
    (``None``: required). Any size: callers clamp."""
    value = content.get(key, default)
    if not _is_number(value):
        raise _bad_field(content, key, value, "a number")
    return int(value)


def _real(content: dict[str, Any], key: str, default: float = 0.0) -> float:
    """Field ``key`` as a finite float (``default`` if absent)."""
    value = content.get(key, default)
    try:
        number = float(value) if _is_number(value) else math.nan
    except OverflowError:  # an int too large for a float
        number = math.nan
    if not math.isfinite(number):
        raise _bad_field(content, key, value, "a finite number")
    return number


def _seq(content: dict[str, Any]) -> int:
    """The message's ``seq`` (0 if absent); refused unless usable (see :func:`message_seq`)."""
    seq = message_seq({"seq": 0, **content})
    if seq is None:
        raise _bad_field(content, "seq", content.get("seq"), f"an integer in 0..{MAX_SEQ}")
    return seq


def _clamp_index(value: int, num_frames: int) -> int:
    """A frame index from the view, clamped into the video."""
    return min(max(value, 0), max(num_frames - 1, 0))


def message_seq(content: Any) -> int | None:
    """The ``seq`` of a message from the view if it is usable, else None.

    Usable: an integer (or integral float) in ``0..MAX_SEQ``, which the view can match
    to its request. Never raises, whatever ``content`` is.

    Examples
    --------
    >>> message_seq({"seq": 7}), message_seq({"seq": 10**400}), message_seq(["seq"])
    (7, None, None)
    """
    seq = content.get("seq") if isinstance(content, dict) else None
    if isinstance(seq, float) and math.isfinite(seq) and seq.is_integer():
        seq = int(seq)
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
        return None
    return seq


def message_type(content: Any) -> str:
    """The ``type`` of a message from the view, one of :data:`MESSAGE_TYPES`.

    Raises
    ------
    InvalidArgumentError
        If ``content`` is not a dict or its type is not one of :data:`MESSAGE_TYPES`.

    Examples
    --------
    >>> message_type({"type": "credit", "seq": 2, "n": 1})
    'credit'
    """
    if not isinstance(content, dict):
        raise InvalidArgumentError(
            f"a message from the view must be a JSON object, got {_brief(content)}"
        )
    kind = content.get("type")
    if not isinstance(kind, str) or kind not in MESSAGE_TYPES:
        raise InvalidArgumentError(
            f"message type {_brief(kind)} is not one of {', '.join(MESSAGE_TYPES)}"
        )
    return kind


def parse_keyframes_request(content: dict[str, Any]) -> int:
    """Validate a ``{"type": "keyframes"}`` message; return its ``seq``.

    Raises
    ------
    InvalidArgumentError
        If it is not a keyframes request or ``seq`` is not usable.

    Examples
    --------
    >>> parse_keyframes_request({"type": "keyframes", "seq": 5})
    5
    """
    if message_type(content) != "keyframes":
        raise InvalidArgumentError(f"not a keyframes request: {_brief(content)}")
    return _seq(content)


def parse_play_message(content: dict[str, Any], *, num_frames: int) -> PlayMessage:
    """Validate a ``play``, ``credit`` or ``stop`` message from the view.

    Raises
    ------
    InvalidArgumentError
        If a field is not a number.

    Examples
    --------
    >>> parse_play_message(
    ...     {"type": "play", "seq": 3, "first": 95, "stride": 2, "credit": 6}, num_frames=90)
    PlayMessage(kind='play', seq=3, first=89, stride=2, credit=6)
    >>> parse_play_message({"type": "credit", "seq": 3, "n": 2, "first": 40}, num_frames=90)
    PlayMessage(kind='credit', seq=3, first=40, stride=1, credit=2)
    """
    kind = message_type(content)
    if kind not in ("play", "credit", "stop"):
        raise InvalidArgumentError(f"not a playback message: {_brief(content)}")
    return PlayMessage(
        kind=kind,
        seq=_seq(content),
        first=_clamp_index(_integer(content, "first"), num_frames),
        stride=min(max(1, _integer(content, "stride", 1)), max(1, num_frames)),
        credit=max(0, _integer(content, "credit" if kind == "play" else "n")),
    )


def parse_frame_request(content: dict[str, Any], *, num_frames: int) -> FrameRequest:
    """Validate a ``{"type": "frame"}`` message from the view.

    Parameters
    ----------
    content
        The message content as received by the widget's message handler.
    num_frames
        Number of frames of the video; ``index`` is clamped into ``[0, num_frames - 1]``.

    Raises
    ------
    InvalidArgumentError
        If the message is not a frame request or its fields have the wrong type.

    Examples
    --------
    >>> parse_frame_request({"type": "frame", "index": 99, "seq": 2}, num_frames=10).index
    9
    """
    if not isinstance(content, dict) or content.get("type") != "frame":
        raise InvalidArgumentError(f"not a frame request: {_brief(content)}; expected type 'frame'")
    hint = content.get("hint", "step")
    return FrameRequest(
        index=_clamp_index(_integer(content, "index", None), num_frames),
        seq=_seq(content),
        preview=bool(content.get("preview", False)),
        hint=hint if isinstance(hint, str) and hint in HINTS else "step",
        offset_seconds=_real(content, "offset_seconds"),
    )


def parse_prefetch_request(content: dict[str, Any], *, num_frames: int) -> PrefetchRequest:
    """Validate a ``{"type": "prefetch"}`` message from the view.

    Raises
    ------
    InvalidArgumentError
        If ``indices`` is not a list of at most :data:`MAX_PREFETCH_BATCH` numbers or
        ``seq`` is not a number.

    Examples
    --------
    >>> req = parse_prefetch_request(
    ...     {"type": "prefetch", "seq": 4, "indices": [8, 9, 12]}, num_frames=10)
    >>> req.indices, req.preview
    ((8, 9, 9), False)
    """
    if not isinstance(content, dict) or content.get("type") != "prefetch":
        raise InvalidArgumentError(
            f"not a prefetch request: {_brief(content)}; expected type 'prefetch'"
        )
    seq, indices = _seq(content), content.get("indices")
    if not isinstance(indices, list) or len(indices) > MAX_PREFETCH_BATCH:
        raise InvalidArgumentError(
            f"prefetch indices must be a list of at most {MAX_PREFETCH_BATCH} frame "
            f"indices, got {_brief(indices)}"
        )
    if not all(_is_number(i) for i in indices):
        raise InvalidArgumentError(f"prefetch indices must be numbers, got {_brief(indices)}")
    return PrefetchRequest(
        indices=tuple(_clamp_index(int(i), num_frames) for i in indices),
        seq=seq,
        preview=bool(content.get("preview", False)),
    )


def keyframes_reply(seq: int, keyframes: Any) -> tuple[dict[str, Any], bytes]:
    """Build the reply to ``{"type": "keyframes"}``: a header and the int32 LE buffer.

    Examples
    --------
    >>> header, data = keyframes_reply(2, [0, 30, 60])
    >>> header, len(data)
    ({'type': 'keyframes', 'seq': 2, 'count': 3}, 12)
    """
    data = np.asarray(keyframes, dtype="<i4").tobytes()
    return {"type": "keyframes", "seq": int(seq), "count": len(data) // 4}, data


def frame_reply(
    request: FrameRequest,
    *,
    index: int,
    exact: bool,
    time: float,
    timestamp: float,
    keyframe_index: int,
    width: int = 0,
    height: int = 0,
) -> dict[str, Any]:
    """Build the JSON header of a frame reply (the JPEG goes in ``buffers``).

    ``index`` is the frame asked for; when ``exact`` is false the picture is the
    keyframe preview of ``keyframe_index`` instead.
    """
    return {
        "type": "frame",
        "index": int(index),
        "seq": request.seq,
        "exact": bool(exact),
        "time": float(time),
        "timestamp": float(timestamp),
        "keyframe_index": int(keyframe_index),
        "width": int(width),
        "height": int(height),
        "prefetch": request.prefetch,
    }


def error_reply(seq: int | None, message: str, *, index: int | None = None) -> dict[str, Any]:
    """Build an error reply the view shows in place of the frame.

    ``seq`` is the request's (``None`` when the message had no usable one). ``index``
    names the one frame that failed (one reply of a prefetch batch); without it the
    reply answers the whole message, e.g. a malformed one.

    Examples
    --------
    >>> error_reply(None, "message type 'x' is not one of ...")["seq"] is None
    True
    >>> error_reply(8, "frame 3: damaged", index=3)["index"]
    3
    """
    reply: dict[str, Any] = {"type": "error", "seq": None if seq is None else int(seq)}
    if index is not None:
        reply["index"] = int(index)
    reply["message"] = str(message)
    return reply
