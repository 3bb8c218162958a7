"""``wb.decode_can``: a CAN log and its database in, one DataFrame per message out.

Examples
--------
>>> import tempfile, pathlib, can, workbench as wb
>>> from workbench.samples.can_log import make_vehicle_database
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> car = make_vehicle_database()  # a cantools Database
>>> _ = (folder / "car.dbc").write_text(car.as_dbc_string())
>>> speed = car.get_message_by_name("VehicleSpeed")
>>> frames = [(speed.frame_id, speed.encode({"speed_kmh": v})) for v in (10.0, 12.5)]
>>> frames.append((0x7FF, b"\\x00"))                     # an id the database does not know
>>> with can.CanutilsLogWriter(folder / "bus.log") as log:
...     for i, (frame_id, data) in enumerate(frames):
...         log.on_message_received(can.Message(timestamp=1552806732.0 + i / 100,
...             arbitration_id=frame_id, data=data, is_extended_id=False))
>>> out = wb.decode_can(folder / "bus.log", folder / "car.dbc")
>>> df = out["VehicleSpeed"]
>>> df["speed_kmh"].tolist(), df.attrs["units"]
([10.0, 12.5], {'speed_kmh': 'km/h'})
>>> out.report.unknown_ids
{2047: 1}
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from workbench.errors import InvalidArgumentError
from workbench.formats.can.database import load_database
from workbench.formats.can.decode import DecodeReport, MessagePlan, compile_database, decode_frames
from workbench.formats.can.logs import iter_frames

__all__ = ["CanDecode", "decode_can", "select_plans"]


class CanDecode(dict):
    """``{message name: DataFrame}`` with the :class:`DecodeReport` as ``.report``."""

    report: DecodeReport


def select_plans(
    db: Any, messages: Iterable[str | int] | None, signals: Iterable[str] | None
) -> tuple[dict[int, MessagePlan], dict[str, set[str] | None] | None]:
    """Restrict the database's plans to ``messages`` (names or frame ids) and ``signals``.

    Raises
    ------
    InvalidArgumentError
        A message or signal the database does not define (the message lists a few that it does).
    """
    plans = compile_database(db)
    if messages is not None:
        if isinstance(messages, (str, int)):
            messages = [messages]
        by_name = {p.name: fid for fid, p in plans.items()}
        chosen = {}
        for m in messages:
            fid = m if isinstance(m, int) else by_name.get(m)
            if fid not in plans:
                raise InvalidArgumentError(
                    f"message {m!r} is not in the database; it has {sorted(by_name)[:20]}"
                )
            chosen[fid] = plans[fid]
        plans = chosen
    if signals is None:
        return plans, None
    if isinstance(signals, str):
        signals = [signals]
    wanted = set(signals)
    per_message: dict[str, set[str] | None] = {}
    found: set[str] = set()
    for p in plans.values():
        names = {s.name for s in p.signals} & wanted
        if names:
            per_message[p.name] = names
            found |= names
    missing = sorted(wanted - found)
    if missing:
        every = sorted({s.name for p in plans.values() for s in p.signals})
        raise InvalidArgumentError(
            f"signals {missing} are not in the chosen messages; they have {every[:30]}"
        )
    return {fid: p for fid, p in plans.items() if p.name in per_message}, per_message


def decode_can(
    log: str | os.PathLike[str],
    database: Any,
    *,
    messages: Iterable[str | int] | None = None,
    signals: Iterable[str] | None = None,
    start: float | None = None,
    end: float | None = None,
    content_type: str | None = None,
) -> CanDecode:
    """Decode a raw CAN log with a database into one DataFrame per message.

    Parameters
    ----------
    log : str or os.PathLike
        ``.log`` (candump), ``.asc``, ``.blf``, ``.trc``, ``.csv`` (python-can's) or
        ``.mf4`` (ASAM MDF bus logging); CAN FD and extended ids included.
    database : str, os.PathLike or cantools Database
        ``.dbc``, ``.kcd``, ``.arxml`` or ``.sym``; validated at load (overlapping or
        out-of-frame signals are refused).
    messages : iterable of str or int, optional
        Message names or frame ids to decode (default: all).
    signals : iterable of str, optional
        Signal names to keep (default: all); only messages holding one are returned.
    start, end : float, optional
        Absolute window ``[start, end)`` in the log's own seconds.
    content_type : str, optional
        The log's format when its suffix does not say it (e.g. ``"application/x-can-csv"``).

    Returns
    -------
    CanDecode
        A dict ``{message name: DataFrame}``; each frame is indexed by ``timestamp``
        (float seconds, as logged), one float64 column per signal with physical values
        (scale and offset applied; NaN where a multiplexer does not select the signal or
        a short frame does not carry it). ``df.attrs["units"]`` maps signal -> unit,
        ``df.attrs["choices"]`` signal -> {value: name} for enumerations (kept numeric
        in the columns), ``df.attrs["frame_id"]`` the arbitration id. ``.report`` is a
        :class:`~workbench.formats.can.decode.DecodeReport`: frames read, decoded per
        message, unknown ids counted, short frames per message, remote/error frames.

    Raises
    ------
    UnknownContentTypeError
        A log format we do not read (the message lists those we do).
    CorruptMediaError
        A database with a syntax error (file and line named) or inconsistent signals; a
        log that does not parse (for candump: the first bad line, by number -- bad lines
        are errors, never skipped silently).
    InvalidArgumentError
        Unknown message or signal names, or ``start >= end``.
    """
    import pandas as pd

    if start is not None and end is not None and float(start) >= float(end):
        raise InvalidArgumentError(f"start={start} must be before end={end} (absolute seconds)")
    db = load_database(database)
    plans, wanted = select_plans(db, messages, signals)
    parts: dict[str, list[dict[str, np.ndarray]]] = {p.name: [] for p in plans.values()}
    report = DecodeReport()
    known = set(compile_database(db)) if messages is not None else set(plans)
    for frames in iter_frames(log, content_type=content_type):
        if start is not None or end is not None:
            t = frames.timestamps
            keep = np.ones(len(t), dtype=bool)
            if start is not None:
                keep &= t >= float(start)
            if end is not None:
                keep &= t < float(end)
            frames = frames.select(keep)
        if messages is not None or signals is not None:
            # frames of database messages not asked for are neither decoded nor "unknown"
            frames = frames.select(~np.isin(frames.ids, list(known - set(plans))))
        decoded, chunk_report = decode_frames(frames, plans, signals=wanted)
        report.add(chunk_report)
        for name, columns in decoded.items():
            parts[name].append(columns)
    out = CanDecode()
    for plan in plans.values():
        chunks = parts[plan.name]
        names = [s.name for s in plan.signals if wanted is None or s.name in wanted[plan.name]]
        if not chunks:
            continue
        t = np.concatenate([c["timestamp"] for c in chunks])
        df = pd.DataFrame(
            {n: np.concatenate([c[n] for c in chunks]) for n in names},
            index=pd.Index(t, name="timestamp"),
        )
        df.attrs["frame_id"] = plan.frame_id
        df.attrs["units"] = {n: u for n, u in plan.units.items() if n in names}
        df.attrs["choices"] = {n: c for n, c in plan.choices.items() if n in names}
        out[plan.name] = df
    out.report = report
    return out
