"""Message shapes exchanged between the widgets' front ends and the kernel.

Frames never live in widget state: the front end asks for one with a custom message
and the kernel answers with a small JSON header plus the JPEG bytes as a binary buffer.

View -> kernel::

    {"type": "frame", "index": 41, "seq": 7, "preview": false, "hint": "step"}

An optional ``offset_seconds`` asks for the frame on screen that many seconds after
(or before) frame ``index``, so that +/-1 s steps are exact on variable frame rates.

Kernel -> view (``buffers=[jpeg]``)::

    {"type": "frame", "index": 41, "seq": 7, "exact": true, "time": 1.3667,
     "timestamp": 1690000001.3667, "keyframe_index": 30, "width": 1280, "height": 720}

``exact`` is false when a keyframe preview was sent for a drag in progress; the view
asks again with ``preview: false`` when the hand rests or lets go.

Dragging and stepping keep one request in flight. Playback (``hint: "play"``) pipelines
up to three requests for upcoming frames; the kernel answers each in turn (or, when the
frame asked for is not ready, with a prefetched frame just before it) and the view
paints each frame at its presentation time, dropping the late ones.

Examples
--------
>>> req = parse_frame_request({"type": "frame", "index": 3, "seq": 1}, num_frames=10)
>>> req.index, req.seq, req.preview
(3, 1, False)
>>> frame_reply(req, index=3, exact=True, time=0.1, timestamp=0.1, keyframe_index=0)["seq"]
1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.errors import InvalidArgumentError

__all__ = [
    "HINTS",
    "FrameRequest",
    "error_reply",
    "frame_reply",
    "parse_frame_request",
]

#: Why the view asked; only steers the prefetcher.
HINTS = ("open", "drag", "rest", "release", "settle", "step", "play", "kernel")


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
        raise InvalidArgumentError(f"not a frame request: {content!r}; expected type 'frame'")
    index, seq = content.get("index"), content.get("seq", 0)
    if isinstance(index, bool) or not isinstance(index, (int, float)):
        raise InvalidArgumentError(f"frame request index must be a number, got {index!r}")
    if isinstance(seq, bool) or not isinstance(seq, (int, float)):
        raise InvalidArgumentError(f"frame request seq must be a number, got {seq!r}")
    hint = content.get("hint", "step")
    if hint not in HINTS:
        hint = "step"
    offset = content.get("offset_seconds", 0.0)
    if isinstance(offset, bool) or not isinstance(offset, (int, float)) or offset != offset:
        raise InvalidArgumentError(f"offset_seconds must be a number, got {offset!r}")
    clamped = min(max(int(index), 0), max(num_frames - 1, 0))
    return FrameRequest(
        index=clamped,
        seq=int(seq),
        preview=bool(content.get("preview", False)),
        hint=hint,
        offset_seconds=float(offset),
    )


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
    }


def error_reply(seq: int, message: str) -> dict[str, Any]:
    """Build an error reply the view shows in place of the frame."""
    return {"type": "error", "seq": int(seq), "message": str(message)}
