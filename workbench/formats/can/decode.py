"""Vectorised decoding: every signal of a message over all of its frames at once.

:func:`compile_database` turns a cantools database into :class:`MessagePlan` s (the
bit pieces of :mod:`~workbench.formats.can.layout`, sign, float, scale, offset,
multiplexer). :func:`decode_frames` groups a chunk of frames by arbitration id and
decodes each group with numpy: per signal a few shifts and masks over a
``(n_frames, length)`` uint8 array, then two's complement or an IEEE view, then
``raw * scale + offset``. Results equal cantools' ``decode_message(...,
decode_choices=False, allow_truncated=True)`` frame by frame: a signal a short frame
does not fully carry is NaN (and the frame is counted as short), as is a multiplexed
signal its multiplexer does not select. Values are float64 (exact below 2**53).

Examples
--------
>>> import cantools, numpy as np
>>> from workbench.formats.can.frames import Frames
>>> db = cantools.database.load_string('''VERSION ""
... BU_:
... BO_ 16 Car: 2 X
...  SG_ speed : 0|12@1+ (0.5,0) [0|2047] "km/h" X
...  SG_ gear : 15|3@0+ (1,0) [0|7] "" X
... VAL_ 16 gear 0 "P" 1 "D" ;
... ''')
>>> plans = compile_database(db)
>>> frames = Frames(np.array([1.0, 2.0]), np.array([16, 16], np.uint32), np.zeros(2, bool),
...                 np.zeros(2, bool), np.array([2, 2], np.uint8),
...                 np.array([[100, 0x20], [101, 0x00]], np.uint8))
>>> out, report = decode_frames(frames, plans)
>>> out["Car"]["speed"].tolist(), out["Car"]["gear"].tolist()
([50.0, 50.5], [1.0, 0.0])
>>> db.decode_message(16, bytes([100, 0x20]), decode_choices=False)
{'speed': 50.0, 'gear': 1}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.formats.can.frames import Frames
from workbench.formats.can.layout import Piece, bytes_needed, signal_pieces

__all__ = ["DecodeReport", "MessagePlan", "SignalPlan", "compile_database", "decode_frames"]


@dataclass(frozen=True)
class SignalPlan:
    """How to decode one signal (from cantools' definition)."""

    name: str
    pieces: tuple[Piece, ...]
    start: int
    big_endian: bool
    length: int
    needed_bytes: int
    signed: bool
    is_float: bool
    scale: float
    offset: float
    unit: str
    choices: dict[int, str]
    multiplexer: str | None
    multiplexer_ids: tuple[int, ...]
    is_multiplexer: bool


@dataclass(frozen=True)
class MessagePlan:
    """The signals of one message, multiplexers before the signals they select."""

    name: str
    frame_id: int
    length: int
    signals: tuple[SignalPlan, ...]

    @property
    def units(self) -> dict[str, str]:
        return {s.name: s.unit for s in self.signals}

    @property
    def choices(self) -> dict[str, dict[int, str]]:
        return {s.name: dict(s.choices) for s in self.signals if s.choices}


@dataclass
class DecodeReport:
    """What a decode saw besides the signals. ``decode_can(...).report`` is one.

    Attributes
    ----------
    frames : int
        Data frames read from the log (in the time window).
    decoded : dict
        Message name -> frames decoded.
    unknown_ids : dict
        Arbitration id -> frames whose id the database does not define (not decoded).
    short_frames : dict
        Message name -> frames shorter than the message's length (signals they do not
        fully carry are NaN).
    remote_frames, error_frames : int
        Frames without data, left out.

    Examples
    --------
    >>> r = DecodeReport(frames=3, decoded={"Car": 2}, unknown_ids={0x7FF: 1})
    >>> r
    DecodeReport(frames=3, decoded=2, unknown_ids={0x7FF: 1}, short_frames={}, remote=0, error=0)
    """

    frames: int = 0
    decoded: dict[str, int] = field(default_factory=dict)
    unknown_ids: dict[int, int] = field(default_factory=dict)
    short_frames: dict[str, int] = field(default_factory=dict)
    remote_frames: int = 0
    error_frames: int = 0

    def add(self, other: DecodeReport) -> None:
        """Add another chunk's counts to this report."""
        self.frames += other.frames
        self.remote_frames += other.remote_frames
        self.error_frames += other.error_frames
        for mine, theirs in (
            (self.decoded, other.decoded),
            (self.unknown_ids, other.unknown_ids),
            (self.short_frames, other.short_frames),
        ):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n  # type: ignore[index]

    def __repr__(self) -> str:
        unknown = ", ".join(f"0x{k:X}: {v}" for k, v in sorted(self.unknown_ids.items()))
        return (
            f"DecodeReport(frames={self.frames}, decoded={sum(self.decoded.values())}, "
            f"unknown_ids={{{unknown}}}, short_frames={self.short_frames}, "
            f"remote={self.remote_frames}, error={self.error_frames})"
        )


def _signal_plan(sig: Any) -> SignalPlan:
    pieces = tuple(
        signal_pieces(start=sig.start, length=sig.length, big_endian=sig.byte_order == "big_endian")
    )
    choices = {int(k): str(v) for k, v in (sig.choices or {}).items()}
    return SignalPlan(
        name=sig.name,
        pieces=pieces,
        start=int(sig.start),
        big_endian=sig.byte_order == "big_endian",
        length=int(sig.length),
        needed_bytes=bytes_needed(list(pieces)),
        signed=bool(sig.is_signed),
        is_float=bool(sig.is_float),
        scale=sig.scale,
        offset=sig.offset,
        unit=sig.unit or "",
        choices=choices,
        multiplexer=sig.multiplexer_signal,
        multiplexer_ids=tuple(int(i) for i in (sig.multiplexer_ids or ())),
        is_multiplexer=bool(sig.is_multiplexer),
    )


def _ordered(signals: list[SignalPlan]) -> tuple[SignalPlan, ...]:
    """Multiplexers before the signals they select (nested multiplexing included)."""
    done: dict[str, SignalPlan] = {}
    todo = list(signals)
    while todo:
        rest = [s for s in todo if s.multiplexer is not None and s.multiplexer not in done]
        ready = [s for s in todo if s not in rest]
        if not ready:  # a multiplexer the message does not define: never selected
            ready = rest
            rest = []
        for s in ready:
            done[s.name] = s
        todo = rest
    return tuple(done.values())


def compile_database(db: Any) -> dict[int, MessagePlan]:
    """Return frame id -> :class:`MessagePlan` for every message of a cantools database.

    Frame ids are looked up without the extended flag, as cantools' ``decode_message``
    does.
    """
    plans = {}
    for msg in db.messages:
        plans[int(msg.frame_id)] = MessagePlan(
            name=msg.name,
            frame_id=int(msg.frame_id),
            length=int(msg.length),
            signals=_ordered([_signal_plan(s) for s in msg.signals]),
        )
    return plans


def _raw(
    sig: SignalPlan, data: np.ndarray, words: tuple[np.ndarray, np.ndarray] | None
) -> np.ndarray:
    """The signal's raw bits as uint64. ``words``: the frames of a message of at most 8
    bytes as one little- and one big-endian 64-bit word each, so a signal is one shift
    and one mask; longer (CAN FD) frames are assembled from per-byte pieces."""
    mask = np.uint64((1 << sig.length) - 1)
    if words is not None:
        little, big = words
        if sig.big_endian:
            msb = 8 * (sig.start // 8) + (7 - sig.start % 8)  # MSB-first bit position
            return (big >> np.uint64(64 - msb - sig.length)) & mask
        return (little >> np.uint64(sig.start)) & mask
    raw = np.zeros(len(data), dtype=np.uint64)
    for p in sig.pieces:
        part = data[:, p.byte].astype(np.uint64)
        if p.shift:
            part >>= np.uint64(p.shift)
        if p.mask != 0xFF:
            part &= np.uint64(p.mask)
        if p.position:
            part <<= np.uint64(p.position)
        raw |= part
    return raw


def _physical(sig: SignalPlan, raw: np.ndarray) -> np.ndarray:
    if sig.is_float:
        if sig.length == 32:
            with np.errstate(invalid="ignore"):  # signalling NaNs stay NaN
                value = raw.astype(np.uint32).view(np.float32).astype(np.float64)
        else:
            value = raw.view(np.float64).copy()
    elif sig.signed:
        if sig.length == 64:
            value = raw.view(np.int64).astype(np.float64)
        else:
            sign = (raw >> np.uint64(sig.length - 1)) & np.uint64(1)
            signed = raw.astype(np.int64) - (sign.astype(np.int64) << np.int64(sig.length))
            value = signed.astype(np.float64)
    else:
        value = raw.astype(np.float64)
    if sig.scale != 1 or sig.offset != 0:
        if sig.is_float:  # NaN/inf payloads stay NaN/inf, quietly
            with np.errstate(invalid="ignore", over="ignore"):
                value = value * float(sig.scale) + float(sig.offset)
        else:  # integers never overflow float64 (np.errstate costs ~ms per call)
            value = value * float(sig.scale) + float(sig.offset)
    return value


def decode_message_data(
    plan: MessagePlan, data: np.ndarray, lengths: np.ndarray, signals: set[str] | None = None
) -> tuple[dict[str, np.ndarray], int]:
    """Decode ``(N, W)`` payloads of one message; return {signal: float64 values}, short count.

    Multiplexers of wanted signals are decoded even when not wanted themselves.
    """
    n = len(data)
    if data.shape[1] < plan.length:
        data = np.pad(data, ((0, 0), (0, plan.length - data.shape[1])))
    words = None
    if plan.length <= 8:
        eight = np.zeros((n, 8), dtype=np.uint8)
        eight[:, : plan.length] = data[:, : plan.length]
        words = (eight.view("<u8").ravel(), eight.view(">u8").ravel())
    wanted = None
    if signals is not None:
        by_name = {s.name: s for s in plan.signals}
        wanted = set()
        for name in signals:
            while name is not None and name in by_name and name not in wanted:
                wanted.add(name)
                name = by_name[name].multiplexer
    values: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    for sig in plan.signals:
        if wanted is not None and sig.name not in wanted:
            continue
        ok = lengths >= sig.needed_bytes
        if sig.multiplexer is not None:
            mux = values.get(sig.multiplexer)
            if mux is None:
                ok = np.zeros(n, dtype=bool)
            else:
                ok = ok & present[sig.multiplexer]
                number = np.trunc(np.where(np.isfinite(mux), mux, -1.0))
                ok &= np.isin(number, np.asarray(sig.multiplexer_ids, dtype=np.float64))
        value = _physical(sig, _raw(sig, data, words))
        value[~ok] = np.nan
        values[sig.name] = value
        present[sig.name] = ok
    short = int((lengths < plan.length).sum())
    if signals is not None:
        values = {k: v for k, v in values.items() if k in signals}
    return values, short


def decode_frames(
    frames: Frames,
    plans: dict[int, MessagePlan],
    *,
    signals: dict[str, set[str] | None] | None = None,
) -> tuple[dict[str, dict[str, np.ndarray]], DecodeReport]:
    """Decode a chunk of frames; return {message: {"timestamp", "row", signal...}} and a report.

    ``"row"`` holds each decoded frame's position in the chunk (ascending).

    Parameters
    ----------
    frames : Frames
        The chunk.
    plans : dict
        From :func:`compile_database`, possibly restricted to chosen messages (frames of
        other database messages are then neither decoded nor counted as unknown).
    signals : dict, optional
        Message name -> the signal names to keep (None: all).
    """
    report = DecodeReport(
        frames=len(frames), remote_frames=frames.remote_frames, error_frames=frames.error_frames
    )
    out: dict[str, dict[str, np.ndarray]] = {}
    if len(frames) == 0:
        return out, report
    order = np.argsort(frames.ids, kind="stable")
    sorted_ids = frames.ids[order]
    uniq, starts, counts = np.unique(sorted_ids, return_index=True, return_counts=True)
    for fid, a, c in zip(uniq.tolist(), starts.tolist(), counts.tolist(), strict=True):
        plan = plans.get(fid)
        if plan is None:
            report.unknown_ids[fid] = report.unknown_ids.get(fid, 0) + c
            continue
        rows = order[a : a + c]
        wanted = None if signals is None else signals.get(plan.name)
        values, short = decode_message_data(
            plan, frames.data[rows, : plan.length], frames.lengths[rows], wanted
        )
        out[plan.name] = {"timestamp": frames.timestamps[rows], "row": rows, **values}
        report.decoded[plan.name] = c
        if short:
            report.short_frames[plan.name] = short
    return out, report
