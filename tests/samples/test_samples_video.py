"""make_video makes exactly the frames, pts, GOPs, codecs and streams asked for."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from samples_support import (
    av1_frame_headers,
    decode_all,
    h264_slices,
    hevc_nal_types,
    rgb,
    video_packets,
)

from workbench.errors import InvalidArgumentError
from workbench.samples import frame_times, make_video, read_frame_code

SMALL = (160, 96)

#: name -> make_video keyword arguments; every case is encoded once per module
CASES: dict[str, dict] = {
    "h264.mp4": dict(frames=24, gop=8),
    "bpyramid.mp4": dict(frames=40, gop=10, bframes=3),
    "opengop.mp4": dict(frames=36, gop=9, bframes=2, open_gop=True),
    "hevc_short.mp4": dict(codec="hevc", frames=12, gop=2),
    "hevc_long.mp4": dict(codec="hevc", frames=70, gop=60, bframes=3),
    "hevc_open.mkv": dict(codec="hevc", frames=32, gop=8, bframes=3, open_gop=True),
    "vp9.mkv": dict(codec="vp9", frames=20, gop=10),
    "vp9.webm": dict(codec="vp9", frames=12, gop=6, audio=True),
    "vfr.mp4": dict(frames=30, gop=10, vfr=True, seed=3),
    "start.mp4": dict(frames=20, gop=10, bframes=2, start_pts=2.5),
    "audio.mp4": dict(frames=30, gop=15, audio=True),
    "odd.mp4": dict(frames=6, gop=3, size=(321, 183)),
    "odd_hevc.mp4": dict(codec="hevc", frames=4, gop=2, size=(161, 97)),
    "odd_vp9.mkv": dict(codec="vp9", frames=4, gop=2, size=(321, 183)),
    "av1.mkv": dict(codec="av1", frames=40, gop=20),
    "av1_long.mp4": dict(codec="av1", frames=70, gop=64),
    "av1.webm": dict(codec="av1", frames=12, gop=6, audio=True),
    "odd_av1.mkv": dict(codec="av1", frames=4, gop=2, size=(161, 97)),
    "rot90.mp4": dict(frames=4, gop=2, rotation=90),
    "rot270.mov": dict(frames=4, gop=2, rotation=270),
    "ntsc.mp4": dict(frames=10, gop=5, fps=Fraction(30000, 1001)),
}


def _kw(name: str) -> dict:
    kw = dict(CASES[name])
    kw.setdefault("size", SMALL)
    return kw


@pytest.fixture(scope="module")
def videos(module_tmp: Path) -> dict[str, Path]:
    return {name: make_video(module_tmp / name, **_kw(name)) for name in CASES}


@pytest.mark.parametrize("name", list(CASES))
def test_frames_pts_and_codes(videos: dict[str, Path], name: str) -> None:
    kw = _kw(name)
    frames = decode_all(videos[name])
    assert len(frames) == kw["frames"]
    # every frame carries its own index, in presentation order
    assert [read_frame_code(rgb(f)) for f in frames] == list(range(kw["frames"]))
    # pts (in seconds) are exactly the planned ones
    pts, tb = frame_times(
        kw["frames"],
        kw.get("fps", 30),
        vfr=kw.get("vfr", False),
        start_pts=kw.get("start_pts", 0),
        seed=kw.get("seed", 0),
    )
    got = np.array([float(f.pts * f.time_base) for f in frames])
    tol = 0.0011 if videos[name].suffix in (".mkv", ".webm") else 1e-6  # Matroska: 1 ms
    np.testing.assert_allclose(got, pts * float(tb), atol=tol)
    assert (frames[0].width, frames[0].height) == kw["size"]


@pytest.mark.parametrize("name", list(CASES))
def test_keyframe_spacing(videos: dict[str, Path], name: str) -> None:
    kw = _kw(name)
    frames = decode_all(videos[name])
    # key frames (as decoded) sit exactly every `gop` frames
    key_idx = [read_frame_code(rgb(f)) for f in frames if f.key_frame]
    assert key_idx == list(range(0, kw["frames"], kw["gop"]))
    # and the demuxer flags exactly those packets as keyframes
    packets = video_packets(videos[name])
    assert len(packets) == kw["frames"]
    key_pts = sorted(p.pts for p in packets if p.is_keyframe)
    assert key_pts == [f.pts for f in frames if f.key_frame]


@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt", "streams"),
    [
        ("h264.mp4", "h264", "yuv420p", ["video"]),
        ("hevc_short.mp4", "hevc", "yuv420p", ["video"]),
        ("vp9.mkv", "vp9", "yuv420p", ["video"]),
        ("vp9.webm", "vp9", "yuv420p", ["audio", "video"]),
        ("audio.mp4", "h264", "yuv420p", ["audio", "video"]),
        ("odd.mp4", "h264", "yuv444p", ["video"]),
        ("odd_hevc.mp4", "hevc", "yuv444p", ["video"]),
        ("odd_vp9.mkv", "vp9", "yuv420p", ["video"]),
        ("av1.mkv", "av1", "yuv420p", ["video"]),
        ("av1_long.mp4", "av1", "yuv420p", ["video"]),
        ("av1.webm", "av1", "yuv420p", ["audio", "video"]),
        ("odd_av1.mkv", "av1", "yuv420p", ["video"]),
    ],
)
def test_codec_and_streams(
    videos: dict[str, Path], name: str, codec: str, pix_fmt: str, streams: list[str]
) -> None:
    with av.open(str(videos[name])) as c:
        assert [s.type for s in c.streams] == streams
        v = c.streams.video[0]
        assert v.codec_context.codec.canonical_name == codec  # AV1 decodes with libdav1d
        assert v.codec_context.pix_fmt == pix_fmt
        if name.endswith(".mp4") and codec == "hevc":
            assert v.codec_tag == "hvc1"


def test_audio_track_comes_first_and_covers_the_video(videos: dict[str, Path]) -> None:
    with av.open(str(videos["audio.mp4"])) as c:
        a, v = c.streams
        assert (a.index, a.type, a.codec_context.name) == (0, "audio", "aac")
        assert (v.index, v.type) == (1, "video")
        samples = sum(f.samples for f in c.decode(a))
    assert samples / 48000 == pytest.approx(30 / 30, abs=0.05)


def test_b_frames_with_pyramid(videos: dict[str, Path]) -> None:
    packets = video_packets(videos["bpyramid.mp4"])
    # decode order differs from presentation order
    pts = [p.pts for p in packets]
    assert pts != sorted(pts)
    slices = [s for p in packets for s in h264_slices(bytes(p))]
    kinds = [k for _, _, k in slices]
    # GOP of 10 = I + P B B B + P B B B + P (b-adapt off: fixed pattern)
    assert kinds.count("B") == 4 * 6
    # pyramid: some B-frames are references (nal_ref_idc > 0), others are not
    refs = {ref > 0 for _, ref, k in slices if k == "B"}
    assert refs == {True, False}
    with av.open(str(videos["bpyramid.mp4"])) as c:
        assert c.streams.video[0].codec_context.has_b_frames


def test_closed_gop_h264_uses_idr(videos: dict[str, Path]) -> None:
    packets = video_packets(videos["bpyramid.mp4"])
    key_nals = [h264_slices(bytes(p))[0][0] for p in packets if p.is_keyframe]
    assert set(key_nals) == {5}  # IDR


def test_open_gop_h264(videos: dict[str, Path]) -> None:
    packets = video_packets(videos["opengop.mp4"])
    keys = [i for i, p in enumerate(packets) if p.is_keyframe]
    assert len(keys) == 4
    assert len(packets) == 36
    # the first keyframe is an IDR, the later ones are non-IDR I-frames ...
    assert h264_slices(bytes(packets[keys[0]]))[0][0] == 5
    for k in keys[1:]:
        assert h264_slices(bytes(packets[k]))[0][:3:2] == (1, "I")
        # ... followed in decode order by leading B-frames shown before them
        assert packets[k + 1].pts < packets[k].pts


def test_open_gop_hevc_uses_cra(videos: dict[str, Path]) -> None:
    packets = video_packets(videos["hevc_open.mkv"])
    keys = [i for i, p in enumerate(packets) if p.is_keyframe]
    types = [hevc_nal_types(bytes(packets[k])) for k in keys]
    assert types[0] == [20]  # IDR_N_LP
    assert all(t == [21] for t in types[1:])  # CRA_NUT
    for k in keys[1:]:
        # the next 3 packets are RASL pictures (types 8/9) shown before the CRA
        assert all(packets[k + j].pts < packets[k].pts for j in (1, 2, 3))
        assert {hevc_nal_types(bytes(packets[k + j]))[0] for j in (1, 2, 3)} <= {8, 9}


def test_closed_gop_hevc_uses_idr(videos: dict[str, Path]) -> None:
    packets = video_packets(videos["hevc_long.mp4"])
    for p in packets:
        if p.is_keyframe:
            assert set(hevc_nal_types(bytes(p))) & {19, 20}  # IDR_W_RADL / IDR_N_LP


def test_variable_frame_rate(videos: dict[str, Path]) -> None:
    frames = decode_all(videos["vfr.mp4"])
    times = np.array([float(f.pts * f.time_base) for f in frames])
    steps = np.round(np.diff(times) * 30, 3)
    assert len(set(steps.tolist())) >= 3  # really irregular
    assert set(steps.tolist()) <= {0.5, 1.0, 1.5, 2.0, 3.0}
    # the burnt-in time text agrees with the pts (checked through frame_times)
    assert times[0] == 0


def test_start_pts(videos: dict[str, Path]) -> None:
    with av.open(str(videos["start.mp4"])) as c:
        assert c.start_time / av.time_base == pytest.approx(2.5)
    frames = decode_all(videos["start.mp4"])
    assert float(frames[0].pts * frames[0].time_base) == pytest.approx(2.5)


@pytest.mark.parametrize(("name", "rotation"), [("rot90.mp4", 90), ("rot270.mov", -90)])
def test_rotation_metadata(videos: dict[str, Path], name: str, rotation: int) -> None:
    frames = decode_all(videos[name])
    assert {f.rotation for f in frames} == {rotation}
    # the pixels themselves are not rotated
    assert (frames[0].width, frames[0].height) == SMALL
    assert decode_all(videos["h264.mp4"])[0].rotation == 0


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    for codec, suffix in [("h264", ".mp4"), ("hevc", ".mp4"), ("vp9", ".mkv"), ("av1", ".mkv")]:
        kw = dict(codec=codec, size=SMALL, frames=8, gop=4, seed=5)
        if codec not in ("vp9", "av1"):
            kw["bframes"] = 2
        a = make_video(tmp_path / f"a{suffix}", **kw)
        b = make_video(tmp_path / f"b{suffix}", **kw)
        assert a.read_bytes() == b.read_bytes(), codec
    c = make_video(tmp_path / "c.mp4", size=SMALL, frames=8, gop=4, seed=6)
    d = make_video(tmp_path / "d.mp4", size=SMALL, frames=8, gop=4, seed=5)
    assert c.read_bytes() != d.read_bytes()


def test_failed_encode_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.samples import scene

    calls = {"n": 0}
    original = scene.SceneRenderer.render

    def broken(self, index, t, state):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if index == 5:
            raise RuntimeError("simulated crash")
        return original(self, index, t, state)

    monkeypatch.setattr(scene.SceneRenderer, "render", broken)
    with pytest.raises(RuntimeError, match="simulated crash"):
        make_video(tmp_path / "x.mp4", size=SMALL, frames=10)
    assert calls["n"] == 6
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    path.write_bytes(b"old")
    make_video(path, size=SMALL, frames=3)
    assert len(decode_all(path)) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(codec="av2"), r"codec='av2'.*allowed: h264, hevc, vp9, av1"),
        (dict(codec="vp9"), r"codec='vp9' cannot go in a \.mp4"),
        (dict(frames=-1), r"frames=-1 is out of range"),
        (dict(frames=0), r"frames=0"),
        (dict(frames=2.5), r"frames=2.5 is not an integer"),
        (dict(size=(160,)), r"size=\(160,\) must be two integers"),
        (dict(size=(160, 96, 3)), r"size=\(160, 96, 3\)"),
        (dict(size="160x96"), r"size='160x96'"),
        (dict(size=(8, 96)), r"out of range"),
        (dict(gop=0), r"gop=0"),
        (dict(bframes=-2), r"bframes=-2"),
        (dict(fps=0), r"fps=0"),
        (dict(fps="30"), r"fps='30'"),
        (dict(rotation=45), r"rotation=45.*allowed"),
        (dict(start_pts=-1), r"start_pts=-1"),
        (dict(open_gop=True), r"open_gop=True needs bframes >= 1"),
        (dict(open_gop=True, bframes=2, gop=10), r"gop to be a multiple of bframes \+ 1"),
        (dict(pix_fmt="rgb48le"), r"pix_fmt='rgb48le'.*allowed"),
        (dict(size=(161, 97), pix_fmt="yuv420p"), r"odd.*yuv444p"),
        (dict(view="side"), r"view='side'"),
        (dict(crf=99), r"crf=99"),
        (dict(crf=55), r"crf=55 is out of range for h264; allowed: 0 to 51"),
        (dict(preset="quick"), r"preset='quick'.*ultrafast"),
        (dict(speed_profile=[50, 60]), r"speed_profile must be a workbench.samples.Drive"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict, match: str) -> None:
    kwargs.setdefault("size", SMALL)
    with pytest.raises(InvalidArgumentError, match=match):
        make_video(tmp_path / "bad.mp4", frames=kwargs.pop("frames", 3), **kwargs)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [
        ("a.avi", {}, r"suffixes \.mp4, \.mov, \.mkv, \.webm"),
        ("a.mkv", dict(codec="vp9", bframes=2), r"bframes=2 is not possible with codec='vp9'"),
        ("a.mkv", dict(codec="vp9", open_gop=True, bframes=0), r"open_gop"),
        ("a.mkv", dict(codec="av1", bframes=1), r"bframes=1 is not possible with codec='av1'"),
        ("a.mkv", dict(codec="av1", open_gop=True), r"open_gop=True is not possible"),
        ("a.mov", dict(codec="av1"), r"codec='av1' cannot go in a \.mov"),
        ("a.mkv", dict(rotation=90), r"rotation=90 needs an \.mp4 or \.mov"),
        ("a.webm", dict(codec="h264"), r"\.webm takes vp9"),
    ],
)
def test_bad_combinations(tmp_path: Path, name: str, kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        make_video(tmp_path / name, size=SMALL, frames=3, **kwargs)


@pytest.mark.parametrize("name", ["av1.mkv", "av1_long.mp4"])
def test_av1_hides_frames_and_shows_them_later(videos: dict[str, Path], name: str) -> None:
    packets = video_packets(videos[name])
    # one packet (temporal unit) per presented frame, decode order == presentation order
    assert [p.pts for p in packets] == sorted(p.pts for p in packets)
    headers = [av1_frame_headers(bytes(p)) for p in packets]
    # hidden frames: units that code several frames (alt-refs shown later) ...
    assert sum(len(h) > 1 for h in headers) >= len(packets) // 8
    # ... and tiny units that only show a frame decoded earlier
    show_existing = [k for k, h in enumerate(headers) if h == [(3, True)]]
    assert len(show_existing) >= len(packets) // 4
    assert all(packets[k].size < 16 and not packets[k].is_keyframe for k in show_existing)
