"""``VideoIndex``: where every frame of a video stream is, built by demuxing packets only.

The index holds, for every video packet in decode order, its pts, dts, byte position,
size and flags (keyframe, discard), and for every *presented* frame in presentation
order the packet that carries it and the keyframe packet decoding must start from.
Packets FFmpeg marks to discard (the leading part of an MP4 edit list) are kept as
decoding references but are not frames, exactly as ``container.decode()`` presents the
stream. Frames are counted from what is really there, never from the header.

Examples
--------
>>> import workbench as wb                                  # doctest: +SKIP
>>> idx = wb.open_video("clip.mp4").index                   # doctest: +SKIP
>>> idx.num_frames, idx.pts_seconds[:3], idx.keyframe_indices[:3]  # doctest: +SKIP
(300, array([0.   , 0.033, 0.067]), array([ 0, 30, 60]))
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from workbench.errors import CorruptMediaError, DecodeTimeoutError

__all__ = ["SCHEMA_VERSION", "IndexHeader", "VideoIndex", "build_index"]

#: bump when the layout or the meaning of the saved index changes (2: one table per kind,
#: codec names as FFmpeg's canonical name)
SCHEMA_VERSION = 2

FLAG_KEY = 1
FLAG_DISCARD = 2

_PACKET_ARRAYS = ("packet_pts", "packet_dts", "packet_pos", "packet_size", "packet_flags")
_FRAME_ARRAYS = ("frame_packet", "frame_start_packet")
#: on disk, each kind of table is one 2-D int64 array, a row per column (an ``.npz``
#: member each): loading a member costs a zip entry, a header parse and a CRC, so three
#: members open ~2x faster than one per column, and the rows are contiguous views (no
#: copy); a cached index must open in a few ms (~1 ms for 15,000 frames)
_TABLE_DTYPE = np.dtype("<i8")


@dataclass
class IndexHeader:
    """Scalar facts about the stream, saved as JSON next to the arrays."""

    stream_index: int
    time_base_num: int
    time_base_den: int
    codec: str
    width: int
    height: int
    pix_fmt: str
    rotation: int
    has_b_frames: bool
    real_fps: float
    bit_rate: int
    container_format: str
    last_frame_duration: int
    declared_frames: int
    declared_end_seconds: float
    truncated: bool
    streams: list[str] = field(default_factory=list)
    identity: dict[str, Any] = field(default_factory=dict)
    schema: int = SCHEMA_VERSION


@dataclass
class VideoIndex:
    """Per-packet and per-frame tables of one video stream (numpy arrays).

    Attributes
    ----------
    packet_pts, packet_dts, packet_pos, packet_size : numpy.ndarray
        int64 per packet in decode order (pts/dts in ``time_base`` units, pos/size in bytes).
    packet_flags : numpy.ndarray
        uint8 per packet: bit 0 keyframe, bit 1 discarded by the demuxer (edit list).
    frame_packet : numpy.ndarray
        int64 per presented frame (presentation order): the packet that carries it.
    frame_start_packet : numpy.ndarray
        int64 per frame: the keyframe packet to seek to and decode from. For leading
        pictures of an open GOP this is the *previous* keyframe.
    header : IndexHeader
        Stream-level facts.
    """

    packet_pts: np.ndarray
    packet_dts: np.ndarray
    packet_pos: np.ndarray
    packet_size: np.ndarray
    packet_flags: np.ndarray
    frame_packet: np.ndarray
    frame_start_packet: np.ndarray
    header: IndexHeader

    # -- derived views -------------------------------------------------------------------

    def __post_init__(self) -> None:
        self._pts_map: dict[int, int] | None = None
        self._pts: np.ndarray | None = None
        self._packet_map: dict[int, int] | None = None

    @property
    def num_frames(self) -> int:
        """Number of presented frames."""
        return len(self.frame_packet)

    @property
    def num_packets(self) -> int:
        """Number of video packets (including discarded ones)."""
        return len(self.packet_pts)

    @property
    def time_base(self) -> Fraction:
        """Stream time base (seconds per pts unit)."""
        return Fraction(self.header.time_base_num, self.header.time_base_den)

    @property
    def end_seconds(self) -> float:
        """When the last frame stops being shown (its pts plus its duration), seconds."""
        return float((int(self.pts[-1]) + self.header.last_frame_duration) * self.time_base)

    @property
    def duration_seconds(self) -> float:
        """From the first frame's pts to :attr:`end_seconds`."""
        return self.end_seconds - float(self.pts_seconds[0])

    @property
    def average_fps(self) -> float:
        """Frames per second over the whole stream (frames / duration)."""
        d = self.duration_seconds
        return self.num_frames / d if d > 0 else self.header.real_fps

    @property
    def pts(self) -> np.ndarray:
        """int64 pts of each frame, presentation order (computed once)."""
        if self._pts is None:
            self._pts = self.packet_pts[self.frame_packet]
            self._pts.flags.writeable = False
        return self._pts

    @property
    def pts_seconds(self) -> np.ndarray:
        """float64 presentation time of each frame in seconds (``pts * time_base``)."""
        return self.pts * (self.header.time_base_num / self.header.time_base_den)

    @property
    def is_keyframe(self) -> np.ndarray:
        """bool per frame: is the frame carried by a keyframe packet."""
        return (self.packet_flags[self.frame_packet] & FLAG_KEY) != 0

    @property
    def keyframe_indices(self) -> np.ndarray:
        """int64 frame indices of the keyframes."""
        return np.flatnonzero(self.is_keyframe).astype(np.int64)

    @property
    def frame_pos(self) -> np.ndarray:
        """int64 byte position of each frame's packet."""
        return self.packet_pos[self.frame_packet]

    @property
    def frame_size(self) -> np.ndarray:
        """int64 byte size of each frame's packet."""
        return self.packet_size[self.frame_packet]

    def frame_of_pts(self, pts: int) -> int:
        """Frame index presented at exactly ``pts``, or -1."""
        if self._pts_map is None:
            self._pts_map = {int(p): i for i, p in enumerate(self.pts.tolist())}
        return self._pts_map.get(pts, -1)

    def packet_of_pts(self, pts: int) -> int:
        """Packet number (decode order) with exactly ``pts``, or -1."""
        if self._packet_map is None:
            self._packet_map = {int(p): i for i, p in enumerate(self.packet_pts.tolist())}
        return self._packet_map.get(pts, -1)

    # -- persistence -----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """Serialise as an ``.npz`` archive: a JSON ``header``, ``packets`` (int64 rows
        pts, dts, pos, size, flags) and ``frames`` (int64 rows packet, start_packet)."""
        buf = io.BytesIO()
        header = json.dumps(asdict(self.header)).encode()
        packets = np.stack([getattr(self, a).astype(_TABLE_DTYPE) for a in _PACKET_ARRAYS])
        frames = np.stack([getattr(self, a).astype(_TABLE_DTYPE) for a in _FRAME_ARRAYS])
        np.savez(buf, header=np.frombuffer(header, np.uint8), packets=packets, frames=frames)
        return buf.getvalue()

    @classmethod
    def from_file(cls, path: str | Path) -> VideoIndex:
        """Load and validate an index written by :meth:`to_bytes`.

        Raises
        ------
        ValueError
            If the file is damaged, of another schema version or inconsistent.
        """
        try:
            with np.load(path, allow_pickle=False) as z:
                header_dict = json.loads(bytes(z["header"]).decode())
                packets, frames = z["packets"], z["frames"]
            shapes = (packets.shape[:1], frames.shape[:1])
            if shapes != ((len(_PACKET_ARRAYS),), (len(_FRAME_ARRAYS),)) or not (
                packets.dtype == frames.dtype == _TABLE_DTYPE and packets.ndim == frames.ndim == 2
            ):
                raise ValueError(f"tables of shapes {packets.shape}, {frames.shape}")
            arrays = dict(zip(_PACKET_ARRAYS, packets, strict=True))
            arrays.update(zip(_FRAME_ARRAYS, frames, strict=True))
            arrays["packet_flags"] = arrays["packet_flags"].astype(np.uint8)
        except Exception as exc:  # zipfile.BadZipFile, OSError, KeyError, ValueError ...
            raise ValueError(f"damaged index file {str(path)!r}: {exc}") from exc
        if header_dict.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"index file {str(path)!r} has schema {header_dict.get('schema')}")
        try:
            header = IndexHeader(**header_dict)
        except TypeError as exc:
            raise ValueError(f"damaged index header in {str(path)!r}: {exc}") from exc
        index = cls(header=header, **arrays)
        index.validate()
        return index

    def validate(self) -> None:
        """Check that the tables are consistent; raise ``ValueError`` if not."""
        n = self.num_packets
        if any(len(getattr(self, a)) != n for a in _PACKET_ARRAYS):
            raise ValueError("packet tables of different lengths")
        if len(self.frame_start_packet) != len(self.frame_packet):
            raise ValueError("frame tables of different lengths")
        if self.num_frames == 0:
            raise ValueError("no frames")
        for name in _FRAME_ARRAYS:
            a = getattr(self, name)
            if a.min() < 0 or a.max() >= n:
                raise ValueError(f"{name} out of range")
        if np.any(np.diff(self.pts) <= 0):
            raise ValueError("frame pts not strictly increasing")
        if self.header.time_base_num <= 0 or self.header.time_base_den <= 0:
            raise ValueError("bad time base")


# -- building ------------------------------------------------------------------------------


def _first_frame(
    stream: av.video.stream.VideoStream, packets: list[av.Packet]
) -> av.VideoFrame | None:
    """Decode the leading packets until the first presented frame (probe, not indexing)."""
    cc = stream.codec_context
    try:
        for pkt in [*packets, None]:
            frames = cc.decode(pkt)
            if frames:
                return frames[0]
    except av.FFmpegError:
        return None
    finally:
        cc.flush_buffers()
    return None


def _declared_end_seconds(stream: av.video.stream.VideoStream, tb: Fraction) -> float:
    """End time the container header promises for the stream (0 if it says nothing)."""
    start = float((stream.start_time or 0) * tb)
    if stream.duration:
        return start + float(stream.duration * tb)
    text = (stream.metadata or {}).get("DURATION") or (stream.metadata or {}).get("duration")
    if text:  # Matroska writes a per-track "HH:MM:SS.nnnnnnnnn" tag
        try:
            h, m, sec = text.split(":")
            return start + int(h) * 3600 + int(m) * 60 + float(sec)
        except ValueError:
            return 0.0
    return 0.0


@dataclass
class _Demuxed:
    """Per-packet columns in decode order, as demuxing found them."""

    pts: list[int] = field(default_factory=list)
    dts: list[int] = field(default_factory=list)
    pos: list[int] = field(default_factory=list)
    size: list[int] = field(default_factory=list)
    flags: list[int] = field(default_factory=list)
    durations: list[int] = field(default_factory=list)
    #: the leading packets up to the first presented one: decoded once, as a probe
    probe: list[av.Packet] = field(default_factory=list)
    truncated: bool = False
    error: str = ""


def _demux(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    name: str,
    timeout_seconds: float | None,
) -> _Demuxed:
    """Read every packet of ``stream`` (no decoding): its times, place, size and flags.

    A corrupt packet or a demuxing error marks the stream truncated (what was read is
    kept); a missing pts is taken from the dts, or from the previous packet's end.
    """
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    out = _Demuxed()
    probing = True
    try:
        for n, pkt in enumerate(container.demux(stream)):
            p, d = pkt.pts, pkt.dts
            if p is None and d is None and pkt.size == 0:
                continue  # the flush packet PyAV yields at the end
            if pkt.is_corrupt:
                out.truncated = True
                continue
            if p is None:
                p = (
                    d
                    if d is not None
                    else (out.pts[-1] + max(out.durations[-1], 1) if out.pts else 0)
                )
            out.pts.append(p)
            out.dts.append(d if d is not None else p)
            out.pos.append(pkt.pos if pkt.pos is not None else -1)
            out.size.append(pkt.size)
            discard = pkt.is_discard
            out.flags.append(
                (FLAG_KEY if pkt.is_keyframe else 0) | (FLAG_DISCARD if discard else 0)
            )
            out.durations.append(pkt.duration or 0)
            if probing:
                out.probe.append(pkt)
                if not discard or len(out.probe) > 600:
                    probing = False
            if deadline is not None and n % 256 == 0 and time.monotonic() > deadline:
                raise DecodeTimeoutError(
                    f"indexing {name!r} took more than {timeout_seconds} s; the file is "
                    "probably damaged"
                )
    except av.FFmpegError as exc:
        out.truncated = True
        out.error = str(exc)
    if not out.pts:
        raise CorruptMediaError(
            f"video {name!r} has no readable video packets"
            + (f" ({out.error})" if out.error else "")
            + "; the file is empty, damaged or truncated before its first frame"
        )
    return out


def _presentation_order(packet_pts: np.ndarray, packet_flags: np.ndarray, name: str) -> np.ndarray:
    """The packet carrying each presented frame, in presentation order: discarded packets
    left out, one picture per pts (as FFmpeg presents duplicates from broken muxers)."""
    presented = np.flatnonzero((packet_flags & FLAG_DISCARD) == 0)
    if len(presented) == 0:
        raise CorruptMediaError(f"video {name!r} has no presented frames (all are discarded)")
    order = np.argsort(packet_pts[presented], kind="stable")
    frame_packet = presented[order].astype(np.int64)
    keep = np.ones(len(frame_packet), bool)
    keep[1:] = np.diff(packet_pts[frame_packet]) > 0
    return frame_packet[keep]


def _start_packets(
    packet_pts: np.ndarray, packet_flags: np.ndarray, frame_packet: np.ndarray
) -> np.ndarray:
    """The keyframe packet decoding must start from, per frame: the last keyframe at or
    before the frame's packet in decode order, or the one before it for leading pictures
    (pts before their keyframe's: open GOP)."""
    key_packets = np.flatnonzero(packet_flags & FLAG_KEY)
    k = np.searchsorted(key_packets, frame_packet, side="right") - 1
    leading = packet_pts[frame_packet] < packet_pts[key_packets[k]]
    k = np.where(leading & (k > 0), k - 1, k)
    return key_packets[k].astype(np.int64)


def _last_frame_duration(
    demuxed: _Demuxed, packet_pts: np.ndarray, frame_packet: np.ndarray
) -> int:
    """The last frame's packet duration, or the median frame step when it has none."""
    last_dur = demuxed.durations[frame_packet[-1]]
    if last_dur <= 0:
        d = np.diff(packet_pts[frame_packet])
        last_dur = int(np.median(d)) if len(d) else 1
    return int(last_dur)


def _make_header(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    first: av.VideoFrame,
    demuxed: _Demuxed,
    packet_pts: np.ndarray,
    frame_packet: np.ndarray,
) -> IndexHeader:
    """The stream's scalar facts; the stream is truncated when demuxing stopped early,
    the header lists more packets than were read, or it promised a longer stream."""
    cc = stream.codec_context
    tb = stream.time_base or Fraction(1, 90000)
    last_dur = _last_frame_duration(demuxed, packet_pts, frame_packet)
    declared_end = _declared_end_seconds(stream, tb)
    end_seconds = float((packet_pts[frame_packet[-1]] + last_dur) * tb)
    truncated = demuxed.truncated
    if stream.frames and len(demuxed.pts) < stream.frames:
        truncated = True  # the sample table lists packets whose bytes are missing
    if declared_end > end_seconds + max(0.5, 4 * last_dur * float(tb)):
        truncated = True  # the stream was longer when it was written
    streams = [
        f"#{s.index} {s.type} ({s.codec_context.name if s.codec_context else '?'})"
        for s in container.streams
    ]
    return IndexHeader(
        stream_index=stream.index,
        time_base_num=tb.numerator,
        time_base_den=tb.denominator,
        codec=cc.codec.canonical_name,  # "av1", not the decoder ("libdav1d")
        width=first.width,
        height=first.height,
        pix_fmt=first.format.name,
        rotation=round(first.rotation or 0),
        has_b_frames=bool(cc.has_b_frames) or bool(np.any(packet_pts[1:] < packet_pts[:-1])),
        real_fps=float(stream.base_rate or stream.average_rate or 0),
        bit_rate=int(stream.bit_rate or container.bit_rate or 0),
        container_format=container.format.name,
        last_frame_duration=last_dur,
        declared_frames=int(stream.frames or 0),
        declared_end_seconds=float(declared_end),
        truncated=truncated,
        streams=streams,
    )


def build_index(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    *,
    name: str,
    timeout_seconds: float | None = 600.0,
) -> VideoIndex:
    """Demux every packet of ``stream`` and build its :class:`VideoIndex`.

    Only the first frame is decoded, as a probe: it proves the stream is decodable and
    gives the display rotation. The steps: demux (:func:`_demux`), order the frames
    (:func:`_presentation_order`), find each one's keyframe (:func:`_start_packets`),
    probe the first frame, describe the stream (:func:`_make_header`).

    Raises
    ------
    CorruptMediaError
        No packet can be read, or the first frame cannot be decoded.
    DecodeTimeoutError
        Demuxing took longer than ``timeout_seconds``.
    """
    demuxed = _demux(container, stream, name, timeout_seconds)
    packet_pts = np.asarray(demuxed.pts, np.int64)
    packet_flags = np.asarray(demuxed.flags, np.uint8)
    if not packet_flags[0] & FLAG_KEY:
        # streams that do not flag keyframes (rare): the first packet must be decodable
        packet_flags[0] |= FLAG_KEY
    frame_packet = _presentation_order(packet_pts, packet_flags, name)
    frame_start_packet = _start_packets(packet_pts, packet_flags, frame_packet)
    first = _first_frame(stream, demuxed.probe)
    if first is None:
        raise CorruptMediaError(
            f"video {name!r}: the first frame cannot be decoded; the file is damaged or not "
            f"a {stream.codec_context.name} stream"
        )
    return VideoIndex(
        packet_pts=packet_pts,
        packet_dts=np.asarray(demuxed.dts, np.int64),
        packet_pos=np.asarray(demuxed.pos, np.int64),
        packet_size=np.asarray(demuxed.size, np.int64),
        packet_flags=packet_flags,
        frame_packet=frame_packet,
        frame_start_packet=frame_start_packet,
        header=_make_header(container, stream, first, demuxed, packet_pts, frame_packet),
    )
