"""``IndexedDecoder``: frame-accurate random access driven by a :class:`VideoIndex`.

How it thinks
-------------
* Fetching frame ``t`` costs decoding from its start keyframe ``K(t)`` up to ``t``.
  Requests are sorted; for each target a small cost model compares going forward on a
  warm decoder (no seek: the packets between the current position and ``t``) with a
  seek to ``K(t)``'s own pts plus the packets from ``K(t)`` to ``t``. Dense requests
  therefore decode everything once; sparse ones seek once per group.
* Each seek is verified: packets are demuxed until the keyframe packet itself arrives
  (an earlier landing is skipped through, a later one retried further back, finally by
  reopening), so HEVC, open-GOP and edit-list files stay frame-accurate.
* Packets that carry no requested frame are fed with ``skip_frame="NONREF"``: the
  decoder drops non-reference pictures the target does not need. Only decoders that
  read ``skip_frame`` per packet get this (:data:`NONREF_SKIP_DECODERS`): libdav1d (AV1)
  reads it once, when it opens, so a session opened while skipping would drop every
  non-reference picture for good, the targets included.
* Two decoder sessions with different threading: ``"frame"`` (as many frame threads as
  cores, for runs of more than a few packets: a random frame ~15 packets into its GOP
  comes out ~15 % sooner) and ``"single"`` (slice threads only, low latency for very
  short seeks, stepping and keyframe previews). The cost model picks one per group of
  requests. Frame threads burn more CPU for what they gain (what is left once
  non-reference pictures are skipped is a chain of references), so
  batches and segment iteration get their parallelism one level up instead: the video
  layer runs independent keyframe groups / segments on several single-threaded
  decoders at once (:meth:`Video.get_frames_at`, :meth:`Video.iter_batches`).
* The model's constants are relative; what a cost unit takes on this machine *now* is
  measured per session kind (seconds per unit, a moving average over the runs
  decoded) and the plan compares measured costs: frame threads only pay off when a
  second core is free, and on a loaded machine (other processes, other decoders of
  this video) they are slower than one thread. Every :data:`EXPLORE_EVERY`-th seek
  goes to the other kind so its figure stays current.
* Every requested frame must come out; when the stream ends first the request fails
  with :class:`~workbench.errors.CorruptMediaError` (never a silently short result).
  A deadline without progress raises :class:`~workbench.errors.DecodeTimeoutError`.

Examples
--------
>>> from workbench.video.video import open_video              # doctest: +SKIP
>>> v = open_video("clip.mp4")                                # doctest: +SKIP
>>> [i for i, frame in v.decoder.decode([3, 40, 41])]         # doctest: +SKIP
[3, 40, 41]
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import av
import numpy as np

from workbench.errors import CorruptMediaError, DecodeTimeoutError
from workbench.video.index import VideoIndex
from workbench.video.source import Source

__all__ = ["IndexedDecoder"]

#: relative cost of decoding one packet, per session kind (single thread = 1). Measured
#: on 2 cores, 1080p H.264 with B-frames: 0.65 decoding everything, but only ~0.85 once
#: non-reference pictures are skipped (what is left is a chain of references)
PACKET_COST = {"single": 1.0, "frame": 0.85}
#: fixed cost of a seek (flush, demuxer reset, frame-thread pipeline refill), in packets.
#: With as many frame threads as cores (not cores + 1: one packet of pipeline delay), a
#: seek + ~15 packets is ~15 % faster with frame threads than without, at 540p IPPP and
#: 1080p with B-frames alike, so runs of more than ~7 packets use them; batches get
#: GOP-level parallelism on single-threaded decoders instead (no extra CPU burnt).
SEEK_COST = {"single": 1.0, "frame": 2.0}
#: measured seconds per cost unit: weight of the newest run in the moving average
CALIBRATION_WEIGHT = 0.25
#: runs cheaper than this (cost units) say too little to be measured
CALIBRATION_MIN_COST = 4.0
#: bounds of the measured frame/single speed ratio used by the plan (so one noisy figure
#: never makes a warm decoder look worse than seeking again)
CALIBRATION_RATIO = (0.6, 1.5)
#: every n-th seek that could use either kind uses the one not preferred (keeps both
#: figures current; n = 10 costs ~1.5 % when the two kinds differ by 15 %)
EXPLORE_EVERY = 10
#: FFmpeg decoders that honour ``skip_frame`` packet by packet (their own per-picture
#: checks); any other decoder (libdav1d for AV1 applies it once, at open) decodes all
NONREF_SKIP_DECODERS = frozenset({"h264", "hevc", "vp9", "mpeg4", "mpeg2video", "mpeg1video"})


#: environment knob: CPUs one decoding call may use (workbench.parallel sets it on Dask
#: workers, one per worker core, so N workers on N cores do not oversubscribe the machine)
THREADS_ENV = "WORKBENCH_DECODER_THREADS"


def _usable_cpus() -> int:
    """CPUs this process may use (affinity, container limits, ``$WORKBENCH_DECODER_THREADS``)."""
    try:
        cpus = max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    knob = os.environ.get(THREADS_ENV, "")
    return min(cpus, int(knob)) if knob.isdigit() and int(knob) > 0 else cpus


@dataclass
class _Session:
    """One open container + decoder and where it stands."""

    kind: str
    container: av.container.InputContainer
    stream: av.video.stream.VideoStream
    demux: Iterator[av.Packet] | None = None
    pushback: av.Packet | None = None
    start_packet: int = -1  # keyframe packet decoding started from; -1: not positioned
    next_packet: int = 0  # decode-order number of the next packet to feed
    last_emitted: int = -1  # last frame index that came out of the decoder
    drained: bool = False
    can_skip: bool = False  # the decoder honours skip_frame per packet
    warm: bool = False  # a frame came out since the decoder opened (its runs are measured)
    skipped: set[int] = field(default_factory=set)
    pending: deque[tuple[int, av.VideoFrame]] = field(default_factory=deque)

    @property
    def cc(self) -> av.video.codeccontext.VideoCodecContext:
        return self.stream.codec_context

    def reset(self) -> None:
        if self.demux is not None:
            self.demux.close()  # type: ignore[attr-defined]
        self.demux = None
        self.pushback = None
        self.start_packet = -1
        self.next_packet = 0
        self.last_emitted = -1
        self.drained = False
        self.skipped.clear()
        self.pending.clear()

    def close(self) -> None:
        self.reset()
        self.container.close()


class IndexedDecoder:
    """Decode arbitrary frames of one stream using its index.

    Parameters
    ----------
    source : Source
        Where the bytes are.
    index : VideoIndex
        The stream's index.
    threads : int, optional
        Decoder threads for long runs (default: CPU count, at most 8).
    timeout_seconds : float
        Longest time without progress (a requested frame coming out) before
        :class:`DecodeTimeoutError`.
    """

    def __init__(
        self,
        source: Source,
        index: VideoIndex,
        *,
        threads: int | None = None,
        timeout_seconds: float = 60.0,
    ) -> None:
        self.source = source
        self.index = index
        self.threads = int(threads) if threads else min(_usable_cpus(), 8)
        self.timeout_seconds = float(timeout_seconds)
        self._sessions: dict[str, _Session] = {}
        self.stats = {"seeks": 0, "packets": 0, "reopens": 0}
        #: measured seconds per cost unit per session kind (see the module notes)
        self.seconds_per_unit: dict[str, float] = {}
        self._choices = 0
        self._packet_of_frame = index.frame_packet
        self._start_of_frame = index.frame_start_packet
        self._pts_of_frame = index.pts
        self._pts_of_packet = index.packet_pts

    # -- sessions ---------------------------------------------------------------------

    def _open_session(self, kind: str) -> _Session:
        container = self.source.open(timeout=self.timeout_seconds)
        stream = container.streams[self.index.header.stream_index]
        cc = stream.codec_context
        if kind == "frame" and self.threads > 1:
            cc.thread_type = "FRAME"
            cc.thread_count = self.threads
        else:
            cc.thread_type = "SLICE"
            cc.thread_count = min(self.threads, 2) if self.threads > 1 else 1
        cc.skip_frame = "DEFAULT"  # what a decoder that reads it only when opening keeps
        return _Session(kind, container, stream, can_skip=cc.codec.name in NONREF_SKIP_DECODERS)

    def _session(self, kind: str) -> _Session:
        s = self._sessions.get(kind)
        if s is None:
            s = self._sessions[kind] = self._open_session(kind)
        return s

    def close(self) -> None:
        """Close the containers (they reopen on the next request)."""
        for s in self._sessions.values():
            s.close()
        self._sessions.clear()

    # -- cost model -------------------------------------------------------------------

    def _forward_cost(self, s: _Session, t: int, run_end_packet: int) -> float | None:
        """Cost of finishing the run of ``t`` by decoding forward on ``s`` (None: impossible)."""
        if s.start_packet < 0 or s.start_packet > self._start_of_frame[t]:
            return None
        p = int(self._packet_of_frame[t])
        queued = any(fi == t for fi, _ in s.pending)
        if not queued and (t <= s.last_emitted or s.drained or p in s.skipped):
            return None
        return PACKET_COST[s.kind] * max(0, max(p, run_end_packet) - s.next_packet + 1)

    def _weights(self) -> dict[str, float]:
        """Measured cost of a unit per kind, relative to ``single`` (1.0 until measured)."""
        single = self.seconds_per_unit.get("single")
        frame = self.seconds_per_unit.get("frame")
        if single is None or frame is None:
            return {"single": 1.0, "frame": 1.0}
        lo, hi = CALIBRATION_RATIO
        return {"single": 1.0, "frame": min(hi, max(lo, frame / single))}

    def _plan(self, t: int, run_end_packet: int) -> tuple[str, bool, float]:
        """Choose (session kind, seek?) for target ``t`` (the run goes to ``run_end_packet``)
        and return the model's cost (units) of decoding up to ``t`` that way."""
        w = self._weights()
        best: tuple[float, str, bool] | None = None
        for kind, s in self._sessions.items():
            c = self._forward_cost(s, t, run_end_packet)
            if c is not None and (best is None or c * w[kind] < best[0]):
                best = (c * w[kind], kind, False)
        start = int(self._start_of_frame[t])
        n = max(1, run_end_packet - start + 1)
        seeks = []
        for kind in ("single", "frame") if self.threads > 1 else ("single",):
            c = (SEEK_COST[kind] + PACKET_COST[kind] * n) * w[kind]
            seeks.append((c, kind, True))
            if best is None or c < best[0]:
                best = (c, kind, True)
        assert best is not None
        if best[2] and len(seeks) == 2 and best[0] >= CALIBRATION_MIN_COST:
            self._choices += 1
            if self._choices % EXPLORE_EVERY == 0:  # measure the other kind now and then
                best = next(x for x in seeks if x[1] != best[1])
        kind, seek = best[1], best[2]
        to_t = int(self._packet_of_frame[t])
        if seek:
            cost = SEEK_COST[kind] + PACKET_COST[kind] * max(1, to_t - start + 1)
        else:
            cost = PACKET_COST[kind] * max(0, to_t - self._sessions[kind].next_packet + 1)
        return kind, seek, cost

    def _calibrate(self, kind: str, cost: float, seconds: float) -> None:
        """Fold one run's measured ``seconds`` for ``cost`` units into the moving average."""
        if cost < CALIBRATION_MIN_COST:
            return
        sample = seconds / cost
        old = self.seconds_per_unit.get(kind)
        self.seconds_per_unit[kind] = (
            sample if old is None else old + CALIBRATION_WEIGHT * (sample - old)
        )

    # -- seeking ----------------------------------------------------------------------

    def _packet_number(self, pkt: av.Packet) -> int:
        ts = pkt.pts if pkt.pts is not None else pkt.dts
        return -1 if ts is None else self.index.packet_of_pts(ts)

    def _seek(self, s: _Session, start_packet: int, deadline: float) -> None:
        """Position ``s`` so that the next packet fed is ``start_packet`` (a keyframe)."""
        idx = self.index
        self.stats["seeks"] += 1
        keys = np.flatnonzero(idx.packet_flags[:start_packet] & 1)
        prev_pts = int(idx.packet_pts[keys[-1]]) if len(keys) else None
        attempts: list[int | None] = [
            int(idx.packet_pts[start_packet]),
            int(idx.packet_dts[start_packet]),
        ]
        if prev_pts is not None:
            attempts.append(prev_pts)
        attempts.append(None)  # reopen and read from the start
        for ts in attempts:
            s.reset()
            try:
                if ts is None:
                    s.container.close()
                    fresh = self._open_session(s.kind)
                    s.container, s.stream = fresh.container, fresh.stream
                    self.stats["reopens"] += 1
                else:
                    s.container.seek(ts, stream=s.stream, backward=True)
            except av.FFmpegError:
                continue
            s.demux = s.container.demux(s.stream)
            for pkt in s.demux:
                if pkt.size == 0 and pkt.pts is None and pkt.dts is None:
                    break  # end of stream: landed nowhere useful
                pn = self._packet_number(pkt)
                if pn == start_packet:
                    s.pushback = pkt
                    s.start_packet = start_packet
                    s.next_packet = start_packet
                    return
                if pn > start_packet:
                    break  # overshoot: try further back
                if time.monotonic() > deadline:
                    raise self._timeout()
        raise CorruptMediaError(
            f"video {self.source.name!r}: cannot position the decoder on packet {start_packet} "
            "(pts {}); the file changed or is damaged — reopen it to re-index".format(
                int(idx.packet_pts[start_packet])
            )
        )

    def _timeout(self) -> DecodeTimeoutError:
        return DecodeTimeoutError(
            f"video {self.source.name!r}: no frame decoded within {self.timeout_seconds} s; the "
            "file is probably damaged (raise timeout_seconds= if it is just slow storage)"
        )

    # -- decoding ---------------------------------------------------------------------

    def _feed_one(self, s: _Session, needed: set[int], target_pts: int) -> None:
        """Feed one packet (or the final drain) to ``s`` and queue the frames it returns."""
        cc = s.cc
        if s.pushback is not None:
            pkt, s.pushback = s.pushback, None
        else:
            assert s.demux is not None
            pkt = next(s.demux, None)
        try:
            if pkt is None or (pkt.size == 0 and pkt.pts is None and pkt.dts is None):
                cc.skip_frame = "DEFAULT"
                frames = cc.decode(None)
                s.drained = True
            else:
                pn = self._packet_number(pkt)
                if pn >= 0:
                    s.next_packet = pn + 1
                if pkt.is_corrupt:
                    return  # the truncated tail: not in the index either
                # non-reference pictures shown before the current target are not needed
                if (
                    not s.can_skip
                    or pn in needed
                    or pn < 0
                    or self._pts_of_packet[pn] >= target_pts
                ):
                    cc.skip_frame = "DEFAULT"
                else:
                    cc.skip_frame = "NONREF"
                    s.skipped.add(pn)
                frames = cc.decode(pkt)
                self.stats["packets"] += 1
        except av.FFmpegError as exc:
            raise CorruptMediaError(
                f"video {self.source.name!r} cannot be decoded near packet {s.next_packet - 1} "
                f"({exc}); the file is damaged"
            ) from exc
        start = s.start_packet
        for fr in frames:
            fi = self.index.frame_of_pts(fr.pts) if fr.pts is not None else -1
            if fi < 0 or fi <= s.last_emitted:
                continue
            if self._start_of_frame[fi] < start:
                continue  # a leading picture decoded without its references
            s.pending.append((fi, fr))

    def decode(
        self,
        frame_indices: Sequence[int] | np.ndarray,
        *,
        keep_all: bool = False,
        on_frame: Callable[[int, av.VideoFrame], None] | None = None,
    ) -> Iterator[tuple[int, av.VideoFrame]]:
        """Yield ``(index, frame)`` for each distinct requested index, in increasing order.

        ``keep_all`` decodes every picture on the way (no ``skip_frame``), and
        ``on_frame`` is called with every frame that comes out on the way (targets
        included): the video layer uses both to fill its frame cache for stepping back.

        Raises
        ------
        CorruptMediaError
            The stream ended or failed before a requested frame came out.
        DecodeTimeoutError
            No progress within ``timeout_seconds``.
        """
        targets = np.unique(np.asarray(frame_indices, dtype=np.int64))
        if len(targets) == 0:
            return
        packets = self._packet_of_frame[targets]
        starts = self._start_of_frame[targets]
        needed = set(packets.tolist())
        if keep_all:
            needed.update(range(int(starts.min()), int(packets.max()) + 1))
        # last packet of each run of targets sharing a start keyframe
        run_end = np.empty(len(targets), np.int64)
        end = -1
        for j in range(len(targets) - 1, -1, -1):
            if j == len(targets) - 1 or starts[j] != starts[j + 1]:
                end = packets[j]
            else:
                end = max(end, packets[j])
            run_end[j] = end
        for j, t in enumerate(targets.tolist()):
            deadline = time.monotonic() + self.timeout_seconds
            kind, seek, cost = self._plan(t, int(run_end[j]))
            s = self._session(kind)
            began = time.perf_counter()
            if seek:
                self._seek(s, int(starts[j]), deadline)
            while True:
                if s.pending:
                    fi, fr = s.pending[0]
                    if fi > t:
                        raise self._missing(t)
                    s.pending.popleft()
                    s.last_emitted = fi
                    if on_frame is not None:
                        on_frame(fi, fr)
                    if fi == t:
                        if s.warm:  # the first run also pays for opening the decoder
                            self._calibrate(kind, cost, time.perf_counter() - began)
                        s.warm = True
                        yield t, fr
                        break
                    continue
                if s.drained:
                    raise self._missing(t)
                self._feed_one(s, needed, int(self._pts_of_frame[t]))
                if time.monotonic() > deadline:
                    raise self._timeout()

    def _missing(self, t: int) -> CorruptMediaError:
        return CorruptMediaError(
            f"video {self.source.name!r}: frame {t} (pts {int(self.index.pts[t])}) did not come "
            "out of the decoder; the file is damaged or truncated there"
        )

    def decode_keyframe(self, start_packet: int) -> av.VideoFrame:
        """Decode only the keyframe packet ``start_packet`` (instant preview)."""
        s = self._session("single")
        deadline = time.monotonic() + self.timeout_seconds
        self._seek(s, start_packet, deadline)
        pkt, s.pushback = s.pushback, None
        want = int(self.index.packet_pts[start_packet])
        cc = s.cc
        cc.skip_frame = "DEFAULT"
        try:
            frames = list(cc.decode(pkt)) + list(cc.decode(None))
        except av.FFmpegError as exc:
            raise CorruptMediaError(
                f"video {self.source.name!r}: keyframe at pts {want} cannot be decoded ({exc})"
            ) from exc
        finally:
            s.reset()
        for fr in frames:
            if fr.pts == want:
                return fr
        if frames:
            return frames[0]
        raise CorruptMediaError(
            f"video {self.source.name!r}: keyframe at pts {want} produced no picture"
        )
