"""S3 faults seen from the entry points: the server killed mid-export and its resume, a
range read past the end of an object, and the one error translator every layer shares."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from remote_support import MotoProcess, upload, write_recording
from s3_support import make_bucket

import workbench as wb
from workbench.errors import (
    InvalidArgumentError,
    ObjectChangedError,
    StorageError,
    StorageUnreachableError,
)
from workbench.export.manifest import MANIFEST_NAME
from workbench.readers.video import VideoReader
from workbench.remote import remote_error
from workbench.streams.storage import FilesStorage

pytestmark = pytest.mark.s3


def two_records(root: Path) -> list[str]:
    """Two dwtk records (the same video under two record ids); their keys."""
    write_recording(root)
    shutil.copytree(root / "rec", root / "rec2")
    side = root / "rec2" / "cam.mp4.json"
    side.write_text(json.dumps({**json.loads(side.read_text()), "record_id": "016_s3b"}))
    return ["rec/cam.mp4", "rec2/cam.mp4"]


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != MANIFEST_NAME}


@pytest.mark.slow  # starts a moto server process twice (about 10 s)
def test_server_killed_mid_export_then_resumed(
    moto_process: MotoProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = two_records(tmp_path / "local")
    storage = make_bucket(moto_process.endpoint)  # 2 attempts, 1 s connect timeout
    upload(storage, tmp_path / "local")
    rows = [{"path": storage.url(k), "storage_options": storage.storage_options} for k in keys]
    out = tmp_path / "out"
    kwargs = {"target_frame_rate": 10, "resize_rate": 0.5, "progress": False, "workers": 1}

    real_fetch = VideoReader.fetch

    def kill_then_fetch(self: VideoReader, *args: object, **kw: object) -> object:
        if "rec2/" in self.source.location and moto_process.proc is not None:
            moto_process.kill()  # the server dies once the first record's frames are out
        return real_fetch(self, *args, **kw)

    with (
        monkeypatch.context() as patch,
        pytest.raises(StorageUnreachableError, match=r"rec2/cam\.mp4.*reachable") as info,
    ):
        patch.setattr(VideoReader, "fetch", kill_then_fetch)
        wb.export_frames(rows, out, **kwargs)
    first = info.value.result  # type: ignore[attr-defined]
    assert isinstance(info.value, StorageError) and isinstance(info.value, ConnectionError)
    assert "again" in str(info.value)
    # nothing partial: every file there is complete and listed in the manifest
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    done = outputs(out)
    assert len(done) == first.written > 0
    assert all(data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9" for data in done.values())
    manifest = (out / MANIFEST_NAME).read_text().splitlines()
    assert sorted(json.loads(line)["file"] for line in manifest) == sorted(done)
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    with pytest.raises(StorageUnreachableError, match=r"rec/cam\.mp4.*reachable"):
        wb.read(rows[0])  # every entry point says the same

    # the server is back (moto keeps its objects in memory: the same bytes are put back)
    moto_process.start()
    storage.fs.mkdir(storage.bucket)
    upload(storage, tmp_path / "local")
    again = wb.export_frames(rows, out, **kwargs)
    assert again.skipped == first.written and not again.failed  # only the missing ones
    assert again.written > 0
    assert all(p.stat().st_mtime_ns == mtimes[p.name] for p in out.iterdir() if p.name in done)

    local = wb.export_frames([tmp_path / "local" / k for k in keys], tmp_path / "ref", **kwargs)
    assert local.written == again.written + first.written
    assert outputs(out) == outputs(tmp_path / "ref")  # pixel for pixel the local result


@pytest.mark.parametrize("backend", ["posix", "s3"])
def test_range_read_past_the_end_says_so(backend: str, tmp_path: Path, request) -> None:
    if backend == "s3":
        storage = make_bucket(request.getfixturevalue("s3_endpoint"))
    else:
        storage = FilesStorage("posix", root=tmp_path)
    storage.put("r.bin", bytes(range(100)))
    assert storage.read_range("r.bin", 90, 100) == bytes(range(90, 100))
    for start, end in ((100, 120), (150, 160), (95, 200)):
        with pytest.raises(InvalidArgumentError, match=r"past its end: it has 100 bytes") as info:
            storage.read_range("r.bin", start, end)
        assert "reachable" not in str(info.value) and f"[{start}, {end})" in str(info.value)


def test_one_translator_says_what_happened() -> None:
    past_end = remote_error(OSError(22, "The requested range is not satisfiable"), "key 'a'")
    assert isinstance(past_end, ObjectChangedError) and "past the end" in str(past_end)
    assert "reachable" not in str(past_end)
    refused = remote_error(ConnectionRefusedError(111, "Connection refused"), "key 'a'")
    assert isinstance(refused, StorageUnreachableError) and "reachable" in str(refused)
    other = remote_error(RuntimeError("boom"), "key 'a'", action="write")
    assert type(other) is StorageError and "reachable" not in str(other)
    assert "could not write key 'a'" in str(other)
