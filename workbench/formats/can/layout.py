"""Where each signal's bits sit in a frame, as numpy-friendly pieces.

A signal is a run of bits. cantools numbers them as the DBC does: a little-endian (Intel)
signal starts at its least significant bit ``start`` and counts up; a big-endian
(Motorola) signal's ``start`` is its most significant bit in the byte-wise "sawtooth"
numbering (bit 7 of byte 0 is 7, bit 0 of byte 1 is 8), continuing MSB first. Within one
byte both layouts keep a contiguous bit range, so a signal is the sum of at most nine
pieces ``((byte >> shift) & mask) << position``, each one numpy operation over all frames.

Examples
--------
>>> signal_pieces(start=4, length=12, big_endian=False)
[Piece(byte=0, shift=4, mask=15, position=0), Piece(byte=1, shift=0, mask=255, position=4)]
>>> signal_pieces(start=7, length=16, big_endian=True)
[Piece(byte=0, shift=0, mask=255, position=8), Piece(byte=1, shift=0, mask=255, position=0)]
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Piece", "bytes_needed", "signal_pieces"]


class Piece(NamedTuple):
    """Bits ``shift .. shift+popcount(mask)-1`` of ``byte`` land at value bit ``position``."""

    byte: int
    shift: int
    mask: int
    position: int


def _bits(start: int, length: int, big_endian: bool) -> list[tuple[int, int, int]]:
    """``(value_bit, byte, bit_in_byte)`` of every bit, value bit 0 = least significant."""
    out = []
    if big_endian:
        msb = 8 * (start // 8) + (7 - start % 8)  # MSB-first linear position
        for i in range(length):
            m = msb + i
            out.append((length - 1 - i, m // 8, 7 - m % 8))
    else:
        for j in range(length):
            out.append((j, (start + j) // 8, (start + j) % 8))
    return out


def signal_pieces(*, start: int, length: int, big_endian: bool) -> list[Piece]:
    """Split a signal into per-byte pieces (see the module docstring).

    Parameters
    ----------
    start : int
        cantools' ``Signal.start`` (the DBC start bit).
    length : int
        Bits, 1 to 64.
    big_endian : bool
        Motorola byte order.
    """
    by_byte: dict[int, list[tuple[int, int]]] = {}
    for value_bit, byte, bit in _bits(start, length, big_endian):
        by_byte.setdefault(byte, []).append((bit, value_bit))
    pieces = []
    for byte in sorted(by_byte):
        bits = sorted(by_byte[byte])
        lo_bit, lo_value = bits[0]
        pieces.append(Piece(byte, lo_bit, (1 << len(bits)) - 1, lo_value))
    return pieces


def bytes_needed(pieces: list[Piece]) -> int:
    """Frame bytes a signal needs to be fully present.

    Examples
    --------
    >>> bytes_needed(signal_pieces(start=60, length=8, big_endian=False))
    9
    """
    return max(p.byte for p in pieces) + 1
