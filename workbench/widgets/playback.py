"""Push frames to a playing view, paced by the credits it returns.

Asking for every frame of a playback costs the browser more than the frame itself: in
JupyterLab each message from a view to the kernel makes the kernel publish a busy and an
idle status, and every status update re-renders parts of the page (about 20 ms of the
browser's main thread per request on a 2-core machine, against about 6 ms for a frame the
kernel sends unasked). So while playing, the view asks once, ``{"type": "play"}``, and
the kernel pushes the frames; the view hands back credits in batches as it shows (or
drops) them, ``{"type": "credit"}``, so that no more than ``credit`` frames are ever on
their way, being decoded or waiting for their time (the browser's decoding speed, not the
kernel's, sets the pace when it paints in software).

Examples
--------
>>> sent = []
>>> class Server:  # stands in for FrameServer: answers at once
...     def request(self, index, *, preview, hint, reply):
...         reply(index, None)
...     def set_play_stride(self, stride): pass
...     def withdraw(self, unwanted): return 0
>>> stream = PlaybackStream(Server(), lambda req, frame, err: sent.append(req.index), 100)
>>> stream.start(seq=5, first=10, stride=1, credit=3)
>>> sent
[10, 11, 12]
>>> stream.credit(seq=5, n=2, first=20)  # the view fell behind: skip ahead
>>> sent
[10, 11, 12, 20, 21]
>>> stream.stop()
>>> stream.credit(seq=5, n=2, first=0)  # a stopped session sends nothing more
>>> sent
[10, 11, 12, 20, 21]
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from workbench.widgets.protocol import FrameRequest

__all__ = ["PlaybackStream"]

#: Most frames a view may have outstanding (credit), whatever it asks for.
MAX_CREDIT = 16

#: Most playback sessions open at once (one per view of the widget that is playing).
MAX_SESSIONS = 8

Send = Callable[[FrameRequest, Any, BaseException | None], None]


class PlaybackStream:
    """Playback sessions of one widget: which frame comes next and how many may go.

    Parameters
    ----------
    server
        The :class:`workbench.widgets.prefetch.FrameServer` (anything with its
        ``request(index, preview=, hint=, reply=)``, ``set_play_stride(stride)`` and
        ``withdraw(unwanted)``).
    send
        ``send(request, frame, error)``: sends one frame reply to the view.
    num_frames
        Frames in the video; the stream ends at the last one.
    """

    def __init__(self, server: Any, send: Send, num_frames: int) -> None:
        self._server = server
        self._send = send
        self._num_frames = int(num_frames)
        self._lock = threading.Lock()
        self._sessions: dict[int, _Session] = {}  # oldest first

    @property
    def playing(self) -> bool:
        """True while a session is open."""
        return bool(self._sessions)

    def start(self, *, seq: int, first: int, stride: int, credit: int) -> None:
        """Open session ``seq``: push frames ``first``, ``first + stride``, ... as credit allows.

        Each view of the widget (a notebook output and its "new view for output" copy) has
        sessions of its own; the oldest are dropped beyond :data:`MAX_SESSIONS`.
        """
        session = _Session(
            next=max(0, int(first)),
            stride=max(1, int(stride)),
            credit=min(max(0, int(credit)), MAX_CREDIT),
        )
        with self._lock:
            self._sessions[int(seq)] = session
            dropped = list(self._sessions)[:-MAX_SESSIONS]
        for old in dropped:
            self.stop(old)
        self._server.set_play_stride(session.stride)
        self._fill(int(seq))

    def credit(self, *, seq: int, n: int, first: int) -> None:
        """The view is done with ``n`` more frames of session ``seq``; it wants ``first`` on."""
        with self._lock:
            session = self._sessions.get(seq)
            if session is None:
                return  # a session that was stopped
            session.credit = min(session.credit + max(0, int(n)), MAX_CREDIT)
            session.next = max(session.next, int(first))
        self._fill(seq)

    def stop(self, seq: int | None = None) -> None:
        """End session ``seq`` (or all of them) and withdraw their queued frames."""
        with self._lock:
            ended = set(self._sessions) if seq is None else {seq} & set(self._sessions)
            for s in ended:
                del self._sessions[s]
        if ended:
            self._server.withdraw(lambda reply: isinstance(reply, _Push) and reply.seq in ended)

    def _fill(self, seq: int) -> None:
        """Ask the frame server for as many frames of session ``seq`` as its credit allows
        (outside the lock: a cached frame is sent from inside ``request``)."""
        with self._lock:
            session, indices = self._sessions.get(seq), []
            while session and session.credit > 0 and session.next < self._num_frames:
                indices.append(session.next)
                session.next += session.stride
                session.credit -= 1
        for index in indices:
            request = FrameRequest(index=index, seq=seq, hint="play")
            reply = _Push(self._send, request)
            self._server.request(index, preview=False, hint="play", reply=reply)


@dataclass
class _Session:
    """Where one view's playback stands: the next frame to push, the stride, the credit."""

    next: int
    stride: int
    credit: int


class _Push:
    """The reply of one pushed frame: sends it, and says which session it belongs to."""

    def __init__(self, send: Send, request: FrameRequest) -> None:
        self.seq = request.seq
        self._send = partial(send, request)

    def __call__(self, frame: Any, error: BaseException | None) -> None:
        self._send(frame, error)
