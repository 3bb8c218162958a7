"""Named video streams in a datastore: ingest, inplace, reopen, delete, write, map_streams()."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.errors import (
    CorruptMediaError,
    InvalidArgumentError,
    StreamNotFoundError,
)
from workbench.samples import read_frame_code
from workbench.streams import Datastore, FilesStream, NamedVideoStream, PackedStream, map_streams
from workbench.streams.storage import FilesStorage


def codes(frames) -> list[int]:
    return [read_frame_code(f) for f in frames]


def stored_files(store: Datastore) -> list[str]:
    return sorted(p.relative_to(store.path).as_posix() for p in (store.path / "streams").rglob("*"))


def test_ingest_copies_and_indexes(tmp_path: Path, sample_mp4: Path) -> None:
    source = tmp_path / "mine.mp4"
    shutil.copyfile(sample_mp4, source)
    store = Datastore(tmp_path / "db")
    cam = NamedVideoStream(store, "cam", path=source)
    assert cam.exists() and not cam.inplace and len(cam) == 60
    assert Path(cam.path).is_file() and Path(cam.path).is_relative_to(store.path)
    assert any(store.index_dir(cam.entry.id).iterdir())  # the index lives in the datastore
    source.unlink()  # the copy does not need the original
    frames = list(NamedVideoStream(store, "cam").load(rows=[37, 3, 59, -1]))
    assert codes(frames) == [37, 3, 59, 59]
    assert frames[0].shape == (96, 160, 3)
    entry = store.entry("cam")
    assert entry.kind == "video" and entry.size == Path(cam.path).stat().st_size
    assert entry.meta["num_frames"] == 60


def test_load_is_lazy_and_resizes(tmp_path: Path, sample_mp4: Path) -> None:
    store = Datastore(tmp_path / "db")
    cam = NamedVideoStream(store, "cam", path=sample_mp4)
    frames = cam.load(resize_rate=0.5, batch_size=8)
    assert not isinstance(frames, list)
    first = next(frames)
    assert first.shape == (48, 80, 3) and read_frame_code(first) == 0
    assert len(list(frames)) == 59
    gray = next(cam.load(rows=[10], format="gray"))
    assert gray.shape[:2] == (96, 160) and read_frame_code(gray.squeeze()) == 10


def test_inplace_indexes_without_copy_and_delete_keeps_file(
    tmp_path: Path, sample_mp4: Path
) -> None:
    source = tmp_path / "user.mp4"
    shutil.copyfile(sample_mp4, source)
    store = Datastore(tmp_path / "db")
    cam = NamedVideoStream(store, "cam", path=source, inplace=True)
    assert cam.inplace and cam.path == str(source)
    assert stored_files(store) == []  # nothing copied
    assert codes(cam.load(rows=[14, 15])) == [14, 15]
    index_dir = store.index_dir(cam.entry.id)
    assert index_dir.is_dir()
    cam.delete()
    assert not cam.exists() and not index_dir.exists()
    assert source.is_file() and source.read_bytes() == sample_mp4.read_bytes()


def test_inplace_only_for_mp4_and_mov(tmp_path: Path, sample_mp4: Path) -> None:
    mkv = tmp_path / "cam.mkv"
    shutil.copyfile(sample_mp4, mkv)
    store = Datastore(tmp_path / "db")
    with pytest.raises(InvalidArgumentError, match="MP4/MOV"):
        NamedVideoStream(store, "cam", path=mkv, inplace=True)
    assert store.names() == []


def test_reopen_in_a_new_process(tmp_path: Path, sample_mp4: Path) -> None:
    store = Datastore(tmp_path / "db")
    NamedVideoStream(store, "copy", path=sample_mp4)
    NamedVideoStream(store, "here", path=sample_mp4, inplace=True)
    script = (
        "import json, sys\n"
        "from workbench.samples import read_frame_code\n"
        "from workbench.streams import Datastore, NamedVideoStream\n"
        "store = Datastore(sys.argv[1])\n"
        "out = {}\n"
        "for name in store.names():\n"
        "    s = NamedVideoStream(store, name)\n"
        "    f = next(s.load(rows=[42]))\n"
        "    out[name] = [len(s), read_frame_code(f), s.video.index_event]\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(store.path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"copy": [60, 42, "loaded"], "here": [60, 42, "loaded"]}


def test_missing_stream_lists_known_names(tmp_path: Path, sample_mp4: Path) -> None:
    store = Datastore(tmp_path / "db")
    NamedVideoStream(store, "front", path=sample_mp4, inplace=True)
    ghost = NamedVideoStream(store, "rear")
    assert not ghost.exists()
    with pytest.raises(StreamNotFoundError, match=r"'rear'.*'front'"):
        len(ghost)
    with pytest.raises(StreamNotFoundError):
        next(ghost.load())


def test_name_conflicts(tmp_path: Path, sample_mp4: Path, other_mp4: Path) -> None:
    store = Datastore(tmp_path / "db")
    first = NamedVideoStream(store, "cam", path=sample_mp4)
    again = NamedVideoStream(store, "cam", path=sample_mp4)  # a re-run cell: same entry
    assert again.entry.id == first.entry.id
    with pytest.raises(InvalidArgumentError, match="already exists"):
        NamedVideoStream(store, "cam", path=other_mp4)
    old_dir = store.data_dir(first.entry.id)
    replaced = NamedVideoStream(store, "cam", path=other_mp4, overwrite=True)
    assert len(replaced) == 40 and not old_dir.exists() and store.names() == ["cam"]


def test_corrupt_input_leaves_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 5000)
    store = Datastore(tmp_path / "db")
    with pytest.raises(CorruptMediaError, match=r"bad\.mp4|video"):
        NamedVideoStream(store, "bad", path=bad)
    with pytest.raises(CorruptMediaError):
        NamedVideoStream(store, "bad", path=bad, inplace=True)
    assert store.names() == [] and stored_files(store) == []
    assert list((store.path / "index").iterdir()) == []


def test_delete_and_bulk_delete(tmp_path: Path, sample_mp4: Path) -> None:
    store = Datastore(tmp_path / "db")
    streams = [NamedVideoStream(store, f"cam{i}", path=sample_mp4) for i in range(3)]
    keep = NamedVideoStream(store, "keep", path=sample_mp4, inplace=True)
    streams[0].delete()
    assert store.names() == ["cam1", "cam2", "keep"]
    FilesStorage("posix").delete(store, streams[1:])  # bulk, through a storage backend
    assert store.names() == ["keep"] and stored_files(store) == []
    assert keep.exists() and len(keep) == 60
    store.delete([keep])
    assert store.names() == [] and sample_mp4.is_file()


def test_write_encodes_h264_with_index(tmp_path: Path, sample_mp4: Path) -> None:
    store = Datastore(tmp_path / "db")
    src = NamedVideoStream(store, "src", path=sample_mp4, inplace=True)
    out = NamedVideoStream.from_frames(store, "out", src.load(rows=range(10, 30)), fps=15)
    assert len(out) == 20 and out.metadata["codec"] == "h264"
    assert out.fps == pytest.approx(15)
    assert codes(out.load(rows=[0, 19, 7])) == [10, 29, 17]
    assert out.video.index_event == "built"
    assert NamedVideoStream(store, "out").video.index_event == "loaded"
    with pytest.raises(InvalidArgumentError, match="already exists"):
        out.write(src.load(rows=[0]), fps=15)


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    store = Datastore(tmp_path / "db")

    def frames():
        for i in range(5):
            yield np.full((32, 48, 3), i * 10, np.uint8)
        raise RuntimeError("camera unplugged")

    with pytest.raises(RuntimeError, match="unplugged"):
        NamedVideoStream.from_frames(store, "broken", frames(), fps=10)
    assert store.names() == [] and stored_files(store) == []
    with pytest.raises(InvalidArgumentError, match="even"):
        NamedVideoStream.from_frames(store, "odd", [np.zeros((33, 48, 3), np.uint8)], fps=10)
    with pytest.raises(InvalidArgumentError, match="one size"):
        NamedVideoStream.from_frames(
            store, "mixed", [np.zeros((32, 48, 3), np.uint8), np.zeros((32, 50, 3), np.uint8)]
        )
    with pytest.raises(InvalidArgumentError, match="no frames"):
        NamedVideoStream.from_frames(store, "empty", [], fps=10)
    assert store.names() == [] and stored_files(store) == []


def test_run_video_to_video_and_packed(tmp_path: Path, sample_mp4: Path) -> None:
    store = Datastore(tmp_path / "db")
    src = NamedVideoStream(store, "src", path=sample_mp4, inplace=True)
    half = NamedVideoStream(store, "dim")
    sizes = PackedStream(tmp_path / "codes.bin")

    def fn(batch: np.ndarray):
        assert batch.ndim == 4 and len(batch) <= 16
        dimmed = (batch.astype(np.uint16) * 9 // 10).astype(np.uint8)
        return dimmed, [str(read_frame_code(f)).encode() for f in batch]

    map_streams([src], fn, [half, sizes], batch_size=16, rows=range(5, 45))
    assert len(half) == 40 and half.metadata["width"] == 160 and half.fps == pytest.approx(30)
    assert codes(half.load(rows=[0, 39])) == [5, 44]
    original, dimmed = next(src.load(rows=[5])), next(half.load(rows=[0]))
    assert dimmed.mean() == pytest.approx(original.mean() * 0.9, rel=0.05)
    assert list(sizes.load(rows=[0, 39])) == [b"5", b"44"]


def test_run_per_row_over_files_and_failure_is_atomic(tmp_path: Path, sample_mp4: Path) -> None:
    store = Datastore(tmp_path / "db")
    storage = FilesStorage("posix", root=tmp_path / "files")
    src = NamedVideoStream(store, "src", path=sample_mp4, inplace=True)
    jpgs = FilesStream([f"f{i}.jpg" for i in range(4)], storage=storage)
    map_streams(src, lambda frame: frame, jpgs, rows=[0, 20, 40, 59])
    assert codes(jpgs.load()) == [0, 20, 40, 59]
    texts = FilesStream([f"t{i}.txt" for i in range(4)], storage=storage)
    texts.write(["a", "b", "c", "d"])
    out = PackedStream(tmp_path / "p.bin")
    map_streams([jpgs, texts], lambda img, t: f"{t}{read_frame_code(img)}".encode(), [out])
    assert list(out.load()) == [b"a0", b"b20", b"c40", b"d59"]

    def boom(frame: np.ndarray) -> np.ndarray:
        if read_frame_code(frame) == 30:
            raise ValueError("bad frame")
        return frame

    ghost = NamedVideoStream(store, "ghost")
    with pytest.raises(ValueError, match="bad frame"):
        map_streams([src], boom, [ghost])
    assert not ghost.exists() and store.names() == ["src"]
    with pytest.raises(InvalidArgumentError, match="different numbers of rows"):
        map_streams([src, texts], lambda a, b: a, [NamedVideoStream(store, "x")])
