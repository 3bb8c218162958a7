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
from functools import partial
from typing import Any

from workbench.widgets.protocol import FrameRequest

__all__ = ["PlaybackStream"]

#: Most frames a view may have outstanding (credit), whatever it asks for.
MAX_CREDIT = 16

Send = Callable[[FrameRequest, Any, BaseException | None], None]


class PlaybackStream:
    """One playback session at a time: which frame comes next and how many may go.

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
        self._seq = 0  # the session; 0: not playing
        self._next = 0
        self._stride = 1
        self._credit = 0

    @property
    def playing(self) -> bool:
        """True while a session is open."""
        return self._seq != 0

    def start(self, *, seq: int, first: int, stride: int, credit: int) -> None:
        """Open session ``seq``: push frames ``first``, ``first + stride``, ... as credit allows."""
        with self._lock:
            self._seq = int(seq)
            self._next = max(0, int(first))
            self._stride = max(1, int(stride))
            self._credit = min(max(0, int(credit)), MAX_CREDIT)
        self._server.set_play_stride(self._stride)
        self._fill()

    def credit(self, *, seq: int, n: int, first: int) -> None:
        """The view is done with ``n`` more frames of session ``seq``; it wants ``first`` on."""
        with self._lock:
            if seq != self._seq or self._seq == 0:
                return  # a session that was stopped or replaced
            self._credit = min(self._credit + max(0, int(n)), MAX_CREDIT)
            self._next = max(self._next, int(first))
        self._fill()

    def stop(self, seq: int | None = None) -> None:
        """End session ``seq`` (or whichever is open) and withdraw its queued frames."""
        with self._lock:
            if seq is not None and seq != self._seq:
                return
            ended, self._seq, self._credit = self._seq, 0, 0
        if ended:
            self._server.withdraw(lambda reply: isinstance(reply, _Push) and reply.seq == ended)

    def _fill(self) -> None:
        """Ask the frame server for as many frames as the credit allows (outside the lock:
        a cached frame is sent from inside ``request``)."""
        with self._lock:
            seq, indices = self._seq, []
            while seq and self._credit > 0 and self._next < self._num_frames:
                indices.append(self._next)
                self._next += self._stride
                self._credit -= 1
        for index in indices:
            request = FrameRequest(index=index, seq=seq, hint="play")
            reply = _Push(self._send, request)
            self._server.request(index, preview=False, hint="play", reply=reply)


class _Push:
    """The reply of one pushed frame: sends it, and says which session it belongs to."""

    def __init__(self, send: Send, request: FrameRequest) -> None:
        self.seq = request.seq
        self._send = partial(send, request)

    def __call__(self, frame: Any, error: BaseException | None) -> None:
        self._send(frame, error)
