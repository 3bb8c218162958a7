"""The persistent index cache: built once, reused, rebuilt when the file or cache changes."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

import workbench as wb
from workbench.samples import make_video
from workbench.video.cache import IndexCacheWarning, default_cache_dir


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cache-media")
    return make_video(folder / "clip.mp4", size=(160, 96), frames=45, gop=15, bframes=2)


@pytest.fixture
def local_clip(clip, tmp_path) -> Path:
    dst = tmp_path / "clip.mp4"
    dst.write_bytes(clip.read_bytes())
    return dst


def test_built_once_then_loaded(local_clip, cache_dir):
    v1 = wb.open_video(local_clip, cache=cache_dir)
    assert v1.index_event == "built"
    files = list(cache_dir.glob("*.npz"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    v2 = wb.open_video(local_clip, cache=cache_dir)
    assert v2.index_event == "loaded"
    assert files[0].stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(v1.index.packet_pts, v2.index.packet_pts)
    np.testing.assert_array_equal(v1[7], v2[7])
    assert not list(cache_dir.glob("*.tmp"))


def test_rebuilt_after_the_file_changes(local_clip, cache_dir, tmp_path):
    assert wb.open_video(local_clip, cache=cache_dir).index_event == "built"
    other = make_video(tmp_path / "other.mp4", size=(160, 96), frames=30, gop=10, seed=9)
    local_clip.write_bytes(other.read_bytes())
    v = wb.open_video(local_clip, cache=cache_dir)
    assert v.index_event == "built" and len(v) == 30


def test_same_size_same_mtime_different_bytes_is_rebuilt(local_clip, cache_dir):
    v1 = wb.open_video(local_clip, cache=cache_dir)
    st = local_clip.stat()
    data = bytearray(local_clip.read_bytes())
    data[100] ^= 0xFF  # inside the head that is hashed
    local_clip.write_bytes(bytes(data))
    os.utime(local_clip, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert local_clip.stat().st_size == st.st_size
    v2 = wb.open_video(local_clip, cache=cache_dir)
    assert v1.index_event == "built" and v2.index_event == "built"
    assert len(list(cache_dir.glob("*.npz"))) == 2


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "other-file"])
def test_damaged_cache_file_is_rebuilt(damage, local_clip, cache_dir, tmp_path):
    v1 = wb.open_video(local_clip, cache=cache_dir)
    (path,) = cache_dir.glob("*.npz")
    good = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"\x00garbage" * 100)
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a valid index of another video under this key
        other = make_video(tmp_path / "o.mp4", size=(160, 96), frames=10, gop=5)
        wb.open_video(other, cache=tmp_path / "c2")
        (opath,) = (tmp_path / "c2").glob("*.npz")
        path.write_bytes(opath.read_bytes())
    v2 = wb.open_video(local_clip, cache=cache_dir)
    assert v2.index_event == "built"
    assert len(v2) == len(v1) == 45
    np.testing.assert_array_equal(v2[44], v1[44])
    assert wb.open_video(local_clip, cache=cache_dir).index_event == "loaded"


def _open_in_process(path: str, cache: str, barrier, queue) -> None:  # pragma: no cover
    barrier.wait()
    v = wb.open_video(path, cache=cache)
    queue.put((v.index_event, len(v)))


def test_two_processes_build_once(local_clip, cache_dir):
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(3), ctx.Queue()
    procs = [
        ctx.Process(target=_open_in_process, args=(str(local_clip), str(cache_dir), barrier, queue))
        for _ in range(3)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    events = sorted(e for e, _ in results)
    assert events == ["built", "loaded", "loaded"], events
    assert {n for _, n in results} == {45}


def test_workbench_cache_env_is_honoured(local_clip, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "wbcache"))
    assert default_cache_dir() == tmp_path / "wbcache" / "index"
    v = wb.open_video(local_clip)
    assert v.index_event == "built"
    assert len(list((tmp_path / "wbcache" / "index").glob("*.npz"))) == 1
    assert wb.open_video(local_clip).index_event == "loaded"


def test_unusable_cache_folder_warns_and_works_in_memory(local_clip, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.warns(IndexCacheWarning, match="a-file"):
        v = wb.open_video(local_clip, cache=blocker / "index")
    assert v.index_event == "built-in-memory" and len(v) == 45


def test_cache_false_writes_nothing(local_clip, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "wbcache"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = wb.open_video(local_clip, cache=False)
    assert v.index_event == "built-in-memory"
    assert not (tmp_path / "wbcache").exists()


def test_video_pickles_as_a_reopen(local_clip, cache_dir):
    v = wb.open_video(local_clip, cache=cache_dir)
    v2 = pickle.loads(pickle.dumps(v))
    assert v2.index_event == "loaded" and len(v2) == len(v)
    np.testing.assert_array_equal(v2[10], v[10])


def test_memory_and_file_urls(local_clip, cache_dir):
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/wb-test/clip.mp4", local_clip.read_bytes())
    try:
        local = wb.open_video(local_clip, cache=False)
        mem = wb.open_video("memory://wb-test/clip.mp4", cache=cache_dir)
        assert mem.index_event == "built" and len(mem) == len(local)
        idx = [44, 0, 17, 17, 3]
        np.testing.assert_array_equal(
            mem.get_frames_at(idx).frames, local.get_frames_at(idx).frames
        )
        assert wb.open_video("memory://wb-test/clip.mp4", cache=cache_dir).index_event == "loaded"
        furl = wb.open_video(local_clip.as_uri(), cache=cache_dir)
        np.testing.assert_array_equal(furl[20], local[20])
        with pytest.raises(wb.SourceNotFoundError, match=r"memory://wb-test/missing\.mp4"):
            wb.open_video("memory://wb-test/missing.mp4", cache=cache_dir)
        fs.pipe("/wb-test/clip.mp4", b"\x00" * 1000)  # replaced by garbage: re-identified
        with pytest.raises(wb.CorruptMediaError):
            wb.open_video("memory://wb-test/clip.mp4", cache=cache_dir)
    finally:
        fs.rm("/wb-test", recursive=True)
