"""Serve encoded frames to a widget from one decoder thread, prefetching around the cursor.

A :class:`FrameServer` owns the decoder: every decode happens on its single worker
thread, so the decoder (not thread-safe) is never shared. Requests from the view jump
the queue; between requests the worker decodes and JPEG-encodes the frames the view is
likely to want next (ahead of the cursor in the playing direction, a few behind, the
keyframe previews of the neighbourhood, then every keyframe preview of the video) into a
byte-budgeted LRU cache of JPEG bytes.

Examples
--------
>>> import numpy as np
>>> class Tiny:  # anything with the Video interface used here
...     pts_seconds = np.arange(4) / 2.0
...     keyframe_indices = np.array([0, 2])
...     def __len__(self): return 4
...     def __getitem__(self, i): return np.full((4, 4, 3), 60 * i, np.uint8)
...     def get_keyframe_preview(self, i, size=None): return self[2 * (i // 2)]
...     def get_frame_at(self, i, size=None): return self[i]
>>> server = FrameServer(Tiny())
>>> frame = server.get(3)
>>> frame.index, frame.exact, frame.data[:2] == b"\\xff\\xd8"
(3, True, True)
>>> server.get(3, preview=True).exact  # the exact frame is cached: no preview needed
True
>>> server.close()
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import sys
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.errors import InvalidArgumentError
from workbench.widgets.encode import encode_jpeg, thumbnail_size

__all__ = ["EncodedFrame", "FrameServer"]

log = logging.getLogger(__name__)

#: How many frames to prefetch ahead of / behind the cursor, per request hint.
_WINDOWS: dict[str, tuple[int, int]] = {
    "play": (24, 0),
    "drag": (0, 0),
    "rest": (4, 2),
    "release": (6, 3),
    "settle": (6, 3),
    "step": (8, 4),
    "open": (8, 0),
    "kernel": (6, 3),
}


@dataclass(frozen=True)
class EncodedFrame:
    """A frame ready to send: the JPEG bytes and what they show.

    Attributes
    ----------
    index
        The frame shown: the one asked for, or while playing a prefetched frame just
        before it when that one is not ready (a late frame beats a stall).
    data
        JPEG bytes.
    exact
        False when ``data`` shows the keyframe preview (frame ``keyframe_index``).
    keyframe_index
        The keyframe that starts the group of ``index``.
    """

    index: int
    data: bytes
    exact: bool
    keyframe_index: int


class _Cache:
    """LRU of JPEG bytes bounded by total size."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._items: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def __contains__(self, key: tuple[str, int]) -> bool:
        with self._lock:
            return key in self._items

    def put(self, key: tuple[str, int], data: bytes) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.nbytes -= len(old)
            self._items[key] = data
            self.nbytes += len(data)
            while self.nbytes > self.max_bytes and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self.nbytes -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.nbytes = 0


Reply = Callable[[EncodedFrame | None, BaseException | None], None]

#: Seconds :func:`_close_open_servers` waits for each worker at interpreter exit.
EXIT_JOIN_SECONDS = 2.0

#: Frame servers not closed yet: stopped at interpreter exit (see ``_close_open_servers``).
_open_servers: weakref.WeakSet[FrameServer] = weakref.WeakSet()


def _close_open_servers() -> None:
    """Stop every frame server's worker while the interpreter still runs threads.

    Workers are daemon threads: left running into interpreter shutdown, one would be
    stopped wherever it stands, possibly holding its video's lock, and a later
    ``close()`` (ipywidgets closes widgets from ``__del__`` at exit) would wait for it
    forever. Run from :mod:`atexit`, before that happens.
    """
    for server in list(_open_servers):
        with contextlib.suppress(Exception):
            server.close(timeout=EXIT_JOIN_SECONDS)


atexit.register(_close_open_servers)


class FrameServer:
    """Decode, encode and cache frames of one video on a private worker thread.

    Parameters
    ----------
    video
        A :class:`workbench.video.Video` (or anything with ``len``, ``[i]``,
        ``keyframe_indices`` and ``get_keyframe_preview``).
    quality
        JPEG quality of exact frames.
    preview_quality, preview_max_width
        JPEG quality and maximum width of keyframe previews (shown while dragging).
    cache_bytes
        Budget of the JPEG cache.
    warm_keyframes
        Encode every keyframe preview in the background when idle, so that a drag
        anywhere in the video is answered from the cache. Skipped for videos with more
        than ``max_warm_keyframes`` keyframes.
    encode_threads
        Threads that JPEG-encode prefetched frames while the worker decodes the next
        ones (Pillow releases the GIL while encoding).

    Examples
    --------
    See the module docstring.
    """

    def __init__(
        self,
        video: Any,
        *,
        quality: int = 85,
        preview_quality: int = 70,
        preview_max_width: int | None = 640,
        cache_bytes: int = 128 * 2**20,
        warm_keyframes: bool = True,
        max_warm_keyframes: int = 3000,
        encode_threads: int = 2,
    ) -> None:
        if not 1 <= int(quality) <= 95 or not 1 <= int(preview_quality) <= 95:
            raise InvalidArgumentError(
                f"JPEG qualities must be in 1..95, got quality={quality!r}, "
                f"preview_quality={preview_quality!r}"
            )
        self.video = video
        self.num_frames = len(video)
        self.quality = int(quality)
        self.preview_quality = int(preview_quality)
        self.preview_max_width = preview_max_width
        meta = getattr(video, "metadata", None)
        self._width = int(getattr(meta, "width", 0) or 0)
        self._height = int(getattr(meta, "height", 0) or 0)
        self._size: tuple[int, int] | None = None
        self._preview_size: tuple[int, int] | None = None
        self._set_sizes(None)
        self._keyframes = np.asarray(video.keyframe_indices, dtype=np.int64)
        if self._keyframes.size == 0:
            self._keyframes = np.zeros(1, dtype=np.int64)
        self._cache = _Cache(int(cache_bytes))
        self._cond = threading.Condition()
        self._urgent: deque[tuple[int, bool, Reply]] = deque()
        self._soon: deque[tuple[int, bool, Reply]] = deque()  # the view's own prefetching
        self._plan: deque[tuple[str, int]] = deque()
        self._warm = bool(warm_keyframes) and self._keyframes.size <= max_warm_keyframes
        self._closed = False
        self._play_step = 1
        self._last_served_play = -1
        self._encoder = ThreadPoolExecutor(
            max_workers=max(1, int(encode_threads)), thread_name_prefix="workbench-jpeg"
        )
        self._pending: dict[tuple[str, int], Future[bytes]] = {}
        self._pending_lock = threading.Lock()
        self._max_pending = 2 * max(1, int(encode_threads))
        self._thread = threading.Thread(target=self._run, name="workbench-frames", daemon=True)
        self._thread.start()
        _open_servers.add(self)
        self._plan_around(0, "open")

    # ---- public ------------------------------------------------------------------------
    @property
    def output_size(self) -> tuple[int, int] | None:
        """``(width, height)`` of the frames sent, or None for the video's own size."""
        return self._size

    def set_output_width(self, width: int | None) -> None:
        """Send frames at most ``width`` pixels wide (as wide as they are shown).

        Frames are decoded straight to that size (one swscale pass) and the cache is
        emptied when the size changes. ``None`` or 0 sends the video's own size.
        """
        with self._cond:
            old = self._size
            self._set_sizes(int(width) if width else None)
            if self._size != old:
                self._cache.clear()
                self._plan.clear()
                self._cond.notify()

    def _set_sizes(self, width: int | None) -> None:
        w, h = self._width, self._height
        self._size = None
        if width and w and h and width < w:
            self._size = _even(thumbnail_size(w, h, max(16, width)))
        preview = self.preview_max_width
        if self._size is not None:
            preview = min(preview or self._size[0], self._size[0])
        self._preview_size = None
        if preview is not None and w and h and preview < w:
            self._preview_size = _even(thumbnail_size(w, h, max(16, preview)))

    def keyframe_of(self, index: int) -> int:
        """Return the keyframe index that starts the group of ``index``."""
        pos = int(np.searchsorted(self._keyframes, index, side="right")) - 1
        return int(self._keyframes[max(pos, 0)])

    def request(self, index: int, *, preview: bool, hint: str, reply: Reply) -> None:
        """Ask for frame ``index``; ``reply(frame, error)`` is called from the worker.

        Newer requests are served before prefetching; ``hint`` (see
        :data:`workbench.widgets.protocol.HINTS`) chooses what to prefetch next.
        """
        if self._closed:
            reply(None, RuntimeError("the frame server is closed"))
            return
        hit = self._cached(index, preview)
        if hint == "play" and hit is None and not preview:
            hit = self._late_substitute(index)
        if hit is not None:  # answer at once, then refresh the plan
            reply(hit, None)
            with self._cond:
                self._plan_around(index, hint)
                self._cond.notify()
            return
        with self._cond:
            self._urgent.append((index, preview, reply))
            self._plan_around(index, hint)
            self._cond.notify()

    def prefetch(self, index: int, *, preview: bool, reply: Reply) -> None:
        """Ask for a frame the view wants to keep, not to show now.

        A cached frame is answered at once; otherwise after every :meth:`request` the
        view is waiting on and before the server's own prefetching. The prefetch plan
        around the cursor is left as it is.
        """
        if self._closed:
            reply(None, RuntimeError("the frame server is closed"))
            return
        hit = self._cached(index, preview)
        if hit is not None:
            reply(hit, None)
            return
        with self._cond:
            self._soon.append((index, preview, reply))
            self._cond.notify()

    def withdraw(self, unwanted: Callable[[Reply], bool]) -> int:
        """Drop the queued requests whose reply ``unwanted(reply)`` picks; return how many.

        Their replies are never called (e.g. the frames of a playback that stopped, so
        that the next step is not served after them).
        """
        if sys.is_finalizing():  # nothing is served any more; a stopped worker may hold
            return 0  # the lock forever (see close)
        with self._cond:
            kept = [job for job in self._urgent if not unwanted(job[2])]
            dropped = len(self._urgent) - len(kept)
            self._urgent = deque(kept)
        return dropped

    def set_play_stride(self, stride: int) -> None:
        """Playback shows every ``stride``-th frame: prefetch those, and when the frame due
        is not ready, answer with a prefetched one less than ``stride`` frames before it."""
        self._play_step = min(max(int(stride), 1), 15)

    def _late_substitute(self, index: int) -> EncodedFrame | None:
        """While playing, a prefetched frame just before ``index`` beats waiting for it."""
        floor = self._last_served_play
        for k in range(index - 1, max(index - self._play_step, floor, -1), -1):
            data = self._cache.get(("exact", k))
            if data is not None:
                self._last_served_play = k
                return EncodedFrame(k, data, True, self.keyframe_of(k))
        return None

    def get(self, index: int, *, preview: bool = False, timeout: float = 60.0) -> EncodedFrame:
        """Return frame ``index`` encoded, waiting for the worker (for code and tests)."""
        future: Future[EncodedFrame] = Future()

        def reply(frame: EncodedFrame | None, error: BaseException | None) -> None:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(frame)  # type: ignore[arg-type]

        self.request(index, preview=preview, hint="kernel", reply=reply)
        return future.result(timeout=timeout)

    def decode(self, index: int, *, timeout: float = 60.0) -> np.ndarray:
        """Return the decoded RGB frame ``index`` (decoded on the worker thread)."""
        return self.call(lambda video: np.asarray(video[index])).result(timeout=timeout)

    def call(self, fn: Callable[[Any], Any]) -> Future[Any]:
        """Run ``fn(video)`` on the worker thread (ahead of prefetching); return a Future.

        This is how other widgets (e.g. the filmstrip) share the decoder safely.
        """
        future: Future[Any] = Future()
        if self._closed:
            future.set_exception(RuntimeError("the frame server is closed"))
            return future
        with self._cond:
            self._urgent.append((-1, False, _Call(fn, future)))
            self._cond.notify()
        return future

    @property
    def cache_nbytes(self) -> int:
        """Bytes of JPEG currently cached."""
        return self._cache.nbytes

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker and drop the cache (idempotent; never blocks at exit).

        Waits up to ``timeout`` seconds for the worker to finish the frame it is on.
        During interpreter shutdown it only marks the server closed: no other thread
        runs any more, and a daemon worker stopped there may hold a lock forever.
        """
        _open_servers.discard(self)
        if sys.is_finalizing():
            self._closed = True
            return
        with self._cond:
            if self._closed:
                return
            self._closed = True
            pending = [*self._urgent, *self._soon]
            self._urgent.clear()
            self._soon.clear()
            self._plan.clear()
            self._cond.notify_all()
        for _, _, reply in pending:
            with contextlib.suppress(Exception):
                reply(None, RuntimeError("the frame server was closed"))
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        self._encoder.shutdown(wait=False, cancel_futures=True)
        self._cache.clear()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    # ---- worker ------------------------------------------------------------------------
    def _cached(self, index: int, preview: bool, *, wait: bool = False) -> EncodedFrame | None:
        """The frame from the cache; with ``wait``, also one being encoded right now."""
        key = self.keyframe_of(index)
        wanted = [("exact", index), *([("key", key)] if preview else [])]
        for item in wanted:
            data = self._cache.get(item)
            if data is None and wait:
                with self._pending_lock:
                    future = self._pending.get(item)
                if future is not None:
                    with contextlib.suppress(Exception):
                        data = future.result()
            if data is not None:
                return EncodedFrame(index, data, item[0] == "exact", key)
        return None

    def _plan_around(self, index: int, hint: str) -> None:
        """Replace the prefetch plan (call with the condition held)."""
        ahead, behind = _WINDOWS.get(hint, (6, 3))
        n = self.num_frames
        plan: list[tuple[str, int]] = []
        if hint == "play":  # only the frames playback will ask for (decoding is cheap,
            # converting and encoding is not)
            self._last_served_play = max(self._last_served_play, index)
            step = self._play_step
            plan += [("exact", index + k * step) for k in range(1, ahead // step + 2)]
            plan = [item for item in plan if item[1] < n]
        else:
            self._last_served_play = -1
            plan += [("exact", i) for i in range(index + 1, min(n, index + 1 + ahead))]
        plan += [("exact", i) for i in range(index - 1, max(-1, index - 1 - behind), -1)]
        # keyframe previews of the neighbourhood, nearest first, then (optionally) all
        k = int(np.searchsorted(self._keyframes, index, side="right")) - 1
        span = self._keyframes.size if self._warm else 8
        order: Iterable[int] = sorted(
            range(max(0, k - span), min(self._keyframes.size, k + span + 1)),
            key=lambda j: abs(j - k),
        )
        plan += [("key", int(self._keyframes[j])) for j in order]
        self._plan = deque(item for item in plan if item not in self._cache)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not (self._urgent or self._soon or self._plan):
                    self._cond.wait()
                if self._closed:
                    return
                if self._urgent or self._soon:
                    queue = self._urgent or self._soon
                    index, preview, reply = queue.popleft()
                    job: tuple[str, int] | None = None
                else:
                    job = self._plan.popleft()
            if job is None:
                self._serve(index, preview, reply)
            else:
                self._prefetch(*job)

    def _serve(self, index: int, preview: bool, reply: Reply) -> None:
        try:
            if isinstance(reply, _Call):
                reply.future.set_result(reply.fn(self.video))
                return
            frame = self._cached(index, preview, wait=True)
            if frame is None:
                frame = self._make("key" if preview else "exact", index)
        except Exception as exc:  # reported to the caller, never kills the worker
            log.debug("frame %s failed", index, exc_info=True)
            if isinstance(reply, _Call):
                reply.future.set_exception(exc)
            else:
                reply(None, exc)
            return
        try:
            reply(frame, None)
        except Exception:  # a failing reply (e.g. a closed comm) must not stop the worker
            log.debug("reply for frame %s failed", index, exc_info=True)

    def _prefetch(self, kind: str, index: int) -> None:
        """Decode on this thread, encode on the encoder pool (overlapping the next decode)."""
        item = (kind, self.keyframe_of(index) if kind == "key" else index)
        with self._pending_lock:
            if item in self._pending or item in self._cache:
                return
            oldest = next(iter(self._pending.values()), None)
            busy = len(self._pending) >= self._max_pending
        if busy and oldest is not None:  # back-pressure: do not run far ahead of the encoder
            with contextlib.suppress(Exception):
                oldest.result()
        try:
            rgb, quality = self._decode(kind, index)
            future = self._encoder.submit(encode_jpeg, rgb, quality=quality)
        except Exception:
            log.debug("prefetch of %s %s failed", kind, index, exc_info=True)
            return
        with self._pending_lock:
            self._pending[item] = future
        future.add_done_callback(lambda f, item=item: self._encoded(item, f))

    def _encoded(self, item: tuple[str, int], future: Future[bytes]) -> None:
        if not future.cancelled() and future.exception() is None and not self._closed:
            self._cache.put(item, future.result())
        with self._pending_lock:
            self._pending.pop(item, None)

    def _decode(self, kind: str, index: int) -> tuple[np.ndarray, int]:
        if kind == "key":
            rgb = self.video.get_keyframe_preview(index, size=self._preview_size)
            return rgb, self.preview_quality
        if self._size is None:
            return self.video[index], self.quality
        return self.video.get_frame_at(index, size=self._size), self.quality

    def _make(self, kind: str, index: int) -> EncodedFrame:
        key = self.keyframe_of(index)
        rgb, quality = self._decode(kind, index)
        data = encode_jpeg(rgb, quality=quality)
        self._cache.put(("key", key) if kind == "key" else ("exact", index), data)
        return EncodedFrame(index, data, kind == "exact", key)


def _even(size: tuple[int, int]) -> tuple[int, int]:
    """Round a size down to even numbers (what yuv420p scaling likes)."""
    return max(2, size[0] - size[0] % 2), max(2, size[1] - size[1] % 2)


class _Call:
    """An urgent job that runs a function on the video instead of serving a frame."""

    def __init__(self, fn: Callable[[Any], Any], future: Future[Any]) -> None:
        self.fn = fn
        self.future = future

    def __call__(self, frame: EncodedFrame | None, error: BaseException | None) -> None:
        if error is not None:
            self.future.set_exception(error)
