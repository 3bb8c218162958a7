"""Damaged and unusual inputs: clear errors at open, honest results, no crash or hang."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from video_support import sequential_decode

import workbench as wb
from workbench.samples import make_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("err-media")
    return make_video(folder / "clip.mp4", size=(160, 96), frames=90, gop=15, bframes=2)


def remux(src: Path, dst: Path, **options: str) -> Path:
    with av.open(str(src)) as i, av.open(str(dst), "w", options=options) as o:
        ins = i.streams.video[0]
        outs = o.add_stream_from_template(ins)
        for p in i.demux(ins):
            if p.dts is None:
                continue
            p.stream = outs
            o.mux(p)
    return dst


def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "nope.mp4"
    with pytest.raises(wb.SourceNotFoundError, match=r"nope\.mp4") as info:
        wb.open_video(missing, cache=tmp_path)
    assert isinstance(info.value, FileNotFoundError)


@pytest.mark.parametrize("kind", ["empty", "random", "moovless", "text"])
def test_not_media_is_corrupt_at_open(kind, clip, tmp_path):
    bad = tmp_path / f"{kind}.mp4"
    data = clip.read_bytes()
    content = {
        "empty": b"",
        "random": np.random.default_rng(5).integers(0, 256, 200_000, np.uint8).tobytes(),
        "moovless": data[: len(data) // 2],  # moov is at the end: cut off
        "text": b"hello, this is not a video\n" * 100,
    }[kind]
    bad.write_bytes(content)
    with pytest.raises(wb.CorruptMediaError, match=f"{kind}.mp4"):
        wb.open_video(bad, cache=tmp_path / "c")
    assert not list((tmp_path / "c").glob("*.npz")) if (tmp_path / "c").exists() else True


def test_audio_only_lists_streams(tmp_path):
    path = tmp_path / "audio.m4a"
    with av.open(str(path), "w") as c:
        s = c.add_stream("aac", rate=48000)
        for i in range(10):
            fr = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), "fltp", "mono")
            fr.sample_rate, fr.pts = 48000, i * 1024
            for pk in s.encode(fr):
                c.mux(pk)
        for pk in s.encode(None):
            c.mux(pk)
    with pytest.raises(wb.NoVideoStreamError, match=r"audio\.m4a.*#0 audio \(aac\)"):
        wb.open_video(path, cache=False)


def test_stream_argument(clip, tmp_path):
    with_audio = make_video(tmp_path / "a.mp4", size=(160, 96), frames=20, audio=True)
    assert len(wb.open_video(with_audio, stream=1, cache=False)) == 20
    with pytest.raises(wb.NoVideoStreamError, match=r"stream=0.*audio"):
        wb.open_video(with_audio, stream=0, cache=False)
    with pytest.raises(wb.InvalidArgumentError, match="stream=5"):
        wb.open_video(with_audio, stream=5, cache=False)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_truncated_file_exposes_what_exists(suffix, clip, tmp_path):
    full = remux(
        clip, tmp_path / f"full{suffix}", **({"movflags": "faststart"} if suffix == ".mp4" else {})
    )
    data = full.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    ref = sequential_decode(cut)
    v = wb.open_video(cut, cache=tmp_path / "c")
    assert 0 < len(v) == len(ref.frames) < 90
    assert v.metadata.truncated
    batch = v.get_frames_at(np.arange(len(v))[::-1])
    for k, i in enumerate(range(len(v) - 1, -1, -1)):
        np.testing.assert_array_equal(batch.frames[k], ref.frames[i])
    assert sum(len(b) for b in v.iter_batches()) == len(v)
    with pytest.raises(wb.CorruptMediaError, match="truncated"):
        v[len(v)]
    with pytest.raises(wb.CorruptMediaError, match="truncated"):
        v.get_frame_played_at(2.9)
    with pytest.raises(wb.FrameIndexError):
        v[500]
    assert not wb.open_video(full, cache=False).metadata.truncated


def test_damaged_middle_never_crashes_or_lies(clip, tmp_path):
    data = bytearray(clip.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 3000] = np.random.default_rng(1).integers(0, 256, 3000, np.uint8).tobytes()
    bad = tmp_path / "damaged.mp4"
    bad.write_bytes(bytes(data))
    v = wb.open_video(bad, cache=False)
    for i in range(len(v)):
        try:
            frame = v[i]
        except wb.CorruptMediaError:
            continue
        assert frame.shape == (96, 160, 3)
    try:
        batch = v.get_frames_at(range(len(v)))
    except wb.CorruptMediaError:
        pass
    else:
        assert len(batch) == len(v)  # never silently short


def test_decode_deadline_raises_timeout(clip):
    v = wb.open_video(clip, cache=False, timeout_seconds=-1.0)  # every deadline already passed
    with pytest.raises(wb.DecodeTimeoutError, match=r"clip\.mp4"):
        v[50]
    assert isinstance(wb.DecodeTimeoutError("x"), wb.CorruptMediaError)


def test_closed_video_and_context_manager(clip):
    with wb.open_video(clip, cache=False) as v:
        assert v[3].shape == (96, 160, 3)
    with pytest.raises(wb.InvalidArgumentError, match="closed"):
        v[4]


def test_bad_arguments(clip, tmp_path):
    with pytest.raises(wb.InvalidArgumentError):
        wb.open_video(clip, stream="1", cache=False)
    with pytest.raises(wb.InvalidArgumentError, match="storage_options"):
        wb.open_video(clip, storage_options={"anon": True}, cache=False)
    with pytest.raises(wb.SourceNotFoundError, match="not a file"):
        wb.open_video(tmp_path, cache=False)
    v = wb.open_video(clip, cache=False)
    with pytest.raises(wb.InvalidArgumentError):
        list(v.iter_batches(target_frame_rate=0))
    with pytest.raises(wb.InvalidArgumentError):
        list(v.iter_batches(segment_duration=0))
