"""Helpers for the tests of workbench.samples (imported by the test modules)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def decode_all(path: Path) -> list[av.VideoFrame]:
    """Every frame of the first video stream, in presentation order."""
    with av.open(str(path)) as c:
        return list(c.decode(c.streams.video[0]))


def video_packets(path: Path) -> list[av.Packet]:
    """Every non-empty packet of the first video stream, in decode order."""
    with av.open(str(path)) as c:
        return [p for p in c.demux(c.streams.video[0]) if p.size]


def rgb(frame: av.VideoFrame) -> np.ndarray:
    return frame.to_ndarray(format="rgb24")


def _nal_units(data: bytes) -> list[bytes]:
    """Split an MP4-style (4-byte length-prefixed) packet into NAL units."""
    out, i = [], 0
    while i + 4 <= len(data):
        n = int.from_bytes(data[i : i + 4], "big")
        out.append(data[i + 4 : i + 4 + n])
        i += 4 + n
    return out


def _read_ue(bits: str, pos: int) -> tuple[int, int]:
    zeros = 0
    while bits[pos + zeros] == "0":
        zeros += 1
    value = int(bits[pos + zeros : pos + 2 * zeros + 1], 2) - 1
    return value, pos + 2 * zeros + 1


def h264_slices(packet: bytes) -> list[tuple[int, int, str]]:
    """(nal_unit_type, nal_ref_idc, slice kind "I"/"P"/"B") of every slice NAL."""
    found = []
    for nal in _nal_units(packet):
        if not nal:
            continue
        kind, ref = nal[0] & 0x1F, (nal[0] >> 5) & 3
        if kind in (1, 5):
            bits = "".join(f"{b:08b}" for b in nal[1:8])
            _, pos = _read_ue(bits, 0)  # first_mb_in_slice
            slice_type, _ = _read_ue(bits, pos)
            found.append((kind, ref, "PBI"[slice_type % 5] if slice_type % 5 < 3 else "?"))
    return found


def hevc_nal_types(packet: bytes) -> list[int]:
    """nal_unit_type of every NAL unit in an MP4-style HEVC packet."""
    return [(nal[0] >> 1) & 0x3F for nal in _nal_units(packet) if nal]


def _leb128(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = data[pos]
        value |= (b & 0x7F) << shift
        pos += 1
        shift += 7
        if not b & 0x80:
            return value, pos


def av1_frame_headers(packet: bytes) -> list[tuple[int, bool]]:
    """(obu_type, show_existing_frame) of every frame / frame-header OBU of an AV1 packet.

    Hand-written (PyAV does not expose OBUs): a packet is a sequence of OBUs with size
    fields; the first bit of a frame header is ``show_existing_frame`` (sequences made
    here never use the reduced still-picture header).
    """
    found, pos = [], 0
    while pos < len(packet):
        head = packet[pos]
        obu_type, has_ext, has_size = (head >> 3) & 0xF, (head >> 2) & 1, (head >> 1) & 1
        pos += 1 + has_ext
        size, pos = _leb128(packet, pos) if has_size else (len(packet) - pos, pos)
        if obu_type in (3, 6):  # OBU_FRAME_HEADER, OBU_FRAME
            found.append((obu_type, bool(packet[pos] & 0x80)))
        pos += size
    return found
