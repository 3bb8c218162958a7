"""Media helpers for the video tests: every hard case ``make_video`` can make."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from workbench.samples import make_edit_list_cut, make_video

SMALL = (160, 96)

#: case name -> make_video arguments (file suffix in "suffix")
CASES: dict[str, dict] = {
    "h264_ippp": dict(codec="h264", frames=60, gop=15),
    "h264_bframes_pyramid": dict(codec="h264", frames=70, gop=20, bframes=3),
    "h264_open_gop": dict(codec="h264", frames=60, gop=15, bframes=2, open_gop=True),
    "hevc_gop2": dict(codec="hevc", frames=30, gop=2, bframes=1),
    "hevc_long_gop": dict(codec="hevc", frames=80, gop=60, bframes=3),
    "hevc_open_gop": dict(codec="hevc", frames=54, gop=18, bframes=2, open_gop=True),
    "vp9_mkv": dict(codec="vp9", frames=50, gop=20, suffix=".mkv"),
    # AV1 (SVT-AV1 random access): hidden alt-refs shown later by "show existing frame" units
    "av1_mkv": dict(codec="av1", frames=50, gop=20, suffix=".mkv"),
    "av1_long_gop": dict(codec="av1", frames=80, gop=72),
    "h264_mkv_bframes": dict(codec="h264", frames=50, gop=25, bframes=2, suffix=".mkv"),
    "vfr": dict(codec="h264", frames=60, gop=20, bframes=2, vfr=True),
    "start_pts": dict(codec="h264", frames=45, gop=15, bframes=2, start_pts=2.5),
    "audio_first": dict(codec="h264", frames=45, gop=15, bframes=1, audio=True),
    "odd_size": dict(codec="h264", frames=40, gop=10, bframes=2, size=(161, 97)),
    "rotation_90": dict(codec="h264", frames=30, gop=10, bframes=2, rotation=90),
    "rotation_270": dict(codec="h264", frames=30, gop=10, rotation=-90),
    "rotation_180": dict(codec="hevc", frames=30, gop=10, rotation=180),
    "edit_list": dict(codec="h264", frames=90, gop=30, bframes=3, cut_seconds=1.3),
    "edit_list_ippp": dict(codec="h264", frames=60, gop=25, cut_seconds=0.5),
}


@dataclass
class Reference:
    """What a plain sequential PyAV decode yields."""

    path: Path
    frames: list[np.ndarray]  # rgb24, coded orientation
    pts: list[int]
    time_base: Fraction
    rotation: int
    codes: list[int]  # burnt-in frame numbers

    def upright(self, i: int) -> np.ndarray:
        k = (self.rotation % 360) // 90
        return np.ascontiguousarray(np.rot90(self.frames[i], k)) if k else self.frames[i]


def sequential_decode(path: Path, fmt: str = "rgb24", **reformat) -> Reference:
    """Decode every frame in order, skipping packets the demuxer flags corrupt."""
    from workbench.samples import read_frame_code

    frames, pts, codes = [], [], []
    rotation = 0
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        cc = vs.codec_context
        for pkt in c.demux(vs):
            if pkt.is_corrupt:
                continue
            is_flush = pkt.size == 0 and pkt.pts is None and pkt.dts is None
            for f in cc.decode(None if is_flush else pkt):
                rotation = round(f.rotation or 0)
                arr = f.to_ndarray(format=fmt, **reformat)
                frames.append(arr)
                pts.append(f.pts)
                try:
                    codes.append(read_frame_code(f.to_ndarray(format="rgb24")))
                except Exception:
                    codes.append(-1)
        tb = vs.time_base
    return Reference(Path(path), frames, pts, tb, rotation, codes)


def make_case(folder: Path, name: str) -> Path:
    args = dict(CASES[name])
    suffix = args.pop("suffix", ".mp4")
    cut = args.pop("cut_seconds", None)
    args.setdefault("size", SMALL)
    args.setdefault("seed", 3)
    path = make_video(folder / f"{name}{'-src' if cut else ''}{suffix}", **args)
    if cut is not None:
        path = make_edit_list_cut(path, folder / f"{name}{suffix}", cut)
    return path
