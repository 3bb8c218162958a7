"""A vectorised reader for candump ``.log`` files (``candump -L`` / python-can's writer).

Why not python-can here: ``can.CanutilsLogReader`` builds one ``Message`` per line in a
Python loop (several µs per frame: minutes for a day of a busy bus), and that is most of
the time a user waits. This reader reads the file in blocks of bytes and parses every line
of a block at once with numpy: it finds each line's ``(``, ``)``, last space and ``#`` by
position, checks every character against a hex table and accumulates digits column by
column. It accepts the lines python-can's reader accepts (``(time) channel id#data``,
``id##<flags><data>`` for CAN FD, ``id#R`` remote frames, ids of more than three digits
extended, bus-error frames, an optional trailing ``R``/``T`` direction) and yields the
same frames and timestamps to the last bit (the decimal is parsed as an exact integer and
divided by its power of ten once); the tests compare the two line by line. It is stricter
where python-can would misread a damaged line instead of refusing it: a time without its
parentheses, an odd number of data digits, an id of more than 8 digits.

A line that is not a candump frame is an error (:class:`CorruptMediaError` naming the
file, the line number and the line), never skipped; empty lines are skipped, as
python-can does.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "bus.log"
>>> _ = p.write_text("(1.500000) can0 123#0102 R\\n\\n(1.600000) can0 1ABCDEF0##1AABB T\\n")
>>> f = next(iter_candump(p))
>>> f.ids.tolist(), f.extended.tolist(), f.fd.tolist(), f.data.tolist(), f.timestamps.tolist()
([291, 448585456], [False, True], [False, True], [[1, 2], [170, 187]], [1.5, 1.6])
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from workbench.errors import CorruptMediaError
from workbench.formats.can.frames import Frames

__all__ = ["iter_candump"]

#: linux can.h: error frame flag and the bus-error class python-can checks
_CAN_ERR_FLAG = 0x20000000
_CAN_ERR_BUSERROR = 0x80
_EXACT = 2**53  # integers below this are exact in float64

# ASCII -> nibble (255: not a hex digit)
_NIBBLE = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _NIBBLE[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _NIBBLE[_c] = 10 + _i
_SPACE = np.zeros(256, dtype=bool)
_SPACE[list(b" \t\r\v\f")] = True


def _is_space(a: np.ndarray) -> np.ndarray:
    """Whitespace as ``str.split`` sees it in ASCII (space, tab, CR, VT, FF; LF ends lines)."""
    return (a == 32) | (((a - np.uint8(9)) < 5) & (a != 10))


def iter_candump(path: str | os.PathLike[str], *, block_bytes: int = 8 << 20) -> Iterator[Frames]:
    """Yield the data frames of a candump log, one :class:`Frames` per ~``block_bytes``.

    Raises
    ------
    CorruptMediaError
        A line is not a candump frame (the message names the line).
    """
    path = Path(path)
    first_line = 1
    carry = b""
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(int(block_bytes))
            buf = carry + chunk
            if not chunk:
                if not buf:
                    return
                if not buf.endswith(b"\n"):
                    buf += b"\n"
                carry = b""
            else:
                cut = buf.rfind(b"\n") + 1
                if cut == 0:  # a line longer than a block: read on
                    carry = buf
                    continue
                buf, carry = buf[:cut], buf[cut:]
            frames, lines = _parse_block(path, buf, first_line)
            first_line += lines
            if frames is not None:
                yield frames
            if not chunk:
                return


def _first_at_or_after(positions: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For each ``at``, the first of ``positions`` >= it (a huge number when none)."""
    if len(positions) == 0:
        return np.full(len(at), np.iinfo(np.int64).max)
    idx = np.searchsorted(positions, at, "left")
    found = positions[np.minimum(idx, len(positions) - 1)]
    return np.where(idx < len(positions), found, np.iinfo(np.int64).max)


def _last_before(positions: np.ndarray, before: np.ndarray) -> np.ndarray:
    """For each ``before``, the last of ``positions`` < it (-1 when none)."""
    if len(positions) == 0:
        return np.full(len(before), -1)
    idx = np.searchsorted(positions, before, "left") - 1
    return np.where(idx >= 0, positions[np.maximum(idx, 0)], -1)


def _digits(
    a: np.ndarray,
    start: np.ndarray,
    length: np.ndarray,
    ok: np.ndarray,
    base: int,
    table: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Accumulate the digits a[start:start+length] of each line; clear ``ok`` on a bad char."""
    value = np.zeros(len(start), dtype=np.uint64)
    last = len(a) - 1
    for k in range(int(length.max(initial=0))):
        has = length > k
        d = table[a[np.minimum(start + k, last)]]
        ok &= ~has | (d != 255)
        value = np.where(has, value * np.uint64(base) + d.astype(np.uint64), value)
    return value, ok


def _parse_block(path: Path, buf: bytes, first_line: int) -> tuple[Frames | None, int]:
    a = np.frombuffer(buf, dtype=np.uint8)
    ends = np.flatnonzero(a == 10).astype(np.int64)
    n_lines = len(ends)
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    last = len(a) - 1
    # trim whitespace at both ends, then an optional " R" / " T" direction
    for _ in range(8):
        trim = (ends > starts) & _SPACE[a[np.maximum(ends - 1, 0)]]
        if not trim.any():
            break
        ends -= trim
    for _ in range(8):
        trim = (ends > starts) & _SPACE[a[np.minimum(starts, last)]]
        if not trim.any():
            break
        starts += trim
    direction = (
        (ends - starts >= 2)
        & _SPACE[a[np.maximum(ends - 2, 0)]]
        & np.isin(a[np.maximum(ends - 1, 0)], list(b"RrTt"))
    )
    ends -= 2 * direction
    for _ in range(8):
        trim = direction & (ends > starts) & _SPACE[a[np.maximum(ends - 1, 0)]]
        if not trim.any():
            break
        ends -= trim
    empty = ends <= starts
    ok = ~empty & (a[np.minimum(starts, last)] == ord("("))
    # "(time)" then whitespace, the channel, whitespace, "id#data"
    close = _first_at_or_after(np.flatnonzero(a == ord(")")), starts)
    ok &= close < ends
    close = np.where(ok, close, starts)
    spaces = np.flatnonzero(_is_space(a))
    gap = _last_before(spaces, ends)  # the whitespace before the frame token
    ok &= (gap > close + 1) & _SPACE[a[np.minimum(close + 1, last)]]
    frame = gap + 1
    # the channel: one token between ")" and the frame (python-can splits on whitespace)
    # i.e. exactly two runs of whitespace from ")" to the frame: after ")" and before the frame
    runs = spaces[np.r_[True, np.diff(spaces) != 1]] if len(spaces) else spaces
    between = np.searchsorted(runs, gap, "right") - np.searchsorted(runs, close + 1, "left")
    ok &= between == 2
    hashes = np.flatnonzero(a == ord("#"))
    hash_at = _first_at_or_after(hashes, frame)
    ok &= hash_at < ends
    hash_at = np.where(ok, hash_at, frame)
    id_len = hash_at - frame
    ok &= (id_len >= 1) & (id_len <= 8)
    ids, ok = _digits(a, frame, np.where(ok, id_len, 0), ok, 16, _NIBBLE)
    fd = ok & (hash_at + 1 < ends) & (a[np.minimum(hash_at + 1, last)] == ord("#"))
    fd_flag = a[np.minimum(hash_at + 2, last)]
    ok &= ~fd | ((hash_at + 2 < ends) & (fd_flag >= ord("0")) & (fd_flag <= ord("9")))
    data_at = hash_at + 1 + 2 * fd
    remote = ok & (data_at < ends) & np.isin(a[np.minimum(data_at, last)], list(b"Rr"))
    _, ok = _digits(a, data_at + 1, np.where(remote, ends - data_at - 1, 0), ok, 10, _DECIMAL)
    data_len = np.where(ok & ~remote, ends - data_at, 0)
    ok &= (data_len % 2 == 0) & (data_len <= 128)
    data_len = np.where(ok, data_len, 0)
    # payload bytes of every line, checking the hex digits on the way
    nbytes = data_len // 2
    width = int(nbytes.max(initial=0))
    data = np.zeros((len(starts), width), dtype=np.uint8)
    for j in range(width):
        has = nbytes > j
        hi = _NIBBLE[a[np.minimum(data_at + 2 * j, last)]]
        lo = _NIBBLE[a[np.minimum(data_at + 2 * j + 1, last)]]
        ok &= ~has | ((hi | lo) < 16)  # both hex digits (255 marks a non-digit)
        data[:, j] = np.where(has, (hi << 4) | lo, 0)
    # the time: digits with at most one '.', parsed exactly
    t_start = starts + 1
    t_len = np.where(ok, close - t_start, 0)
    ok &= t_len >= 1
    dots = np.flatnonzero(a == ord("."))
    dot = _first_at_or_after(dots, t_start)
    has_dot = dot < close
    dot = np.where(has_dot, dot, close)
    ok &= _first_at_or_after(dots, np.where(has_dot, dot + 1, close)) >= close  # one '.' at most
    int_len = np.where(has_dot, dot - t_start, t_len)
    frac_len = np.where(has_dot, close - dot - 1, 0)
    ok &= int_len >= 1
    mantissa, ok = _digits(a, t_start, np.where(ok, int_len, 0), ok, 10, _DECIMAL)
    frac, ok = _digits(a, dot + 1, np.where(ok & has_dot, frac_len, 0), ok, 10, _DECIMAL)
    bad = np.flatnonzero(~ok & ~empty)
    if len(bad):
        k = int(bad[0])
        text = bytes(a[starts[k] : ends[k] + 2 * direction[k]]).decode("utf-8", "replace")
        raise CorruptMediaError(
            f"{path} line {first_line + k}: {text!r} is not a candump frame "
            "('(time) channel id#data', e.g. '(1552806732.417000) can0 123#0011'); "
            f"{len(bad)} bad line(s) in this block. Fix or remove them."
        )
    keep = ~empty
    if not keep.any():
        return None, n_lines
    times = _seconds(mantissa, frac, frac_len, a, t_start, t_len)
    error = (ids & np.uint64(_CAN_ERR_FLAG) != 0) & (ids & np.uint64(_CAN_ERR_BUSERROR) != 0)
    data_frames = keep & ~remote & ~error
    rows = np.flatnonzero(data_frames)
    nbytes = nbytes[rows].astype(np.uint8)
    width = int(nbytes.max(initial=0))
    frames = Frames(
        times[rows],
        (ids[rows] & np.uint64(0x1FFFFFFF)).astype(np.uint32),
        id_len[rows] > 3,
        fd[rows],
        nbytes,
        data[rows, :width],
        remote_frames=int((keep & remote & ~error).sum()),
        error_frames=int((keep & error).sum()),
    )
    return frames, n_lines


_DECIMAL = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789"):
    _DECIMAL[_c] = _i


def _seconds(mantissa, frac, frac_len, a, t_start, t_len) -> np.ndarray:
    """``int.frac`` as float64, exactly as Python's ``float()`` rounds the decimal."""
    scale = 10 ** frac_len.astype(np.int64)
    whole = mantissa.astype(np.float64) * scale + frac.astype(np.float64)  # exact below 2**53
    times = whole / scale
    # digits beyond float64's exact integers: let Python parse those lines
    big = (mantissa >= _EXACT) | (mantissa.astype(np.float64) * scale + frac >= _EXACT)
    for k in np.flatnonzero(big & (t_len > 0)):
        times[k] = float(bytes(a[t_start[k] : t_start[k] + t_len[k]]))
    return times
