"""Videos in S3 (a real moto server on 127.0.0.1): random frames, overwrite, outage, missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streams_support import S3Calls, TcpProxy, make_bucket, overwrite_object

import workbench as wb
from workbench.errors import (
    ObjectChangedError,
    SourceNotFoundError,
    StorageError,
    StreamNotFoundError,
)
from workbench.samples import read_frame_code
from workbench.streams import Datastore, FilesStorage, NamedVideoStream

pytestmark = pytest.mark.s3


@pytest.fixture
def s3_video(s3_storage: FilesStorage, sample_mp4: Path) -> FilesStorage:
    s3_storage.put_file(str(sample_mp4), "rec/cam.mp4")
    return s3_storage


def index_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.npz")) if folder.exists() else []


def test_random_frames_are_frame_accurate(
    s3_video: FilesStorage, sample_mp4: Path, tmp_path: Path
) -> None:
    url = s3_video.url("rec/cam.mp4")
    video = wb.open_video(url, storage_options=s3_video.storage_options, cache=tmp_path / "idx")
    assert len(video) == 60 and video.index_event == "built"
    wanted = [37, 3, 59, 16, 16, 44]
    frames = video.get_frames_at(wanted).frames
    assert [read_frame_code(f) for f in frames] == wanted
    local = wb.open_video(sample_mp4, cache=False)
    for i, frame in zip(wanted, frames, strict=True):
        np.testing.assert_array_equal(frame, local[i])
    assert read_frame_code(video[-1]) == 59
    # the index is persisted: a second open loads it
    again = wb.open_video(url, storage_options=s3_video.storage_options, cache=tmp_path / "idx")
    assert again.index_event == "loaded" and read_frame_code(again[22]) == 22


def test_open_video_with_a_storage_backend(s3_video: FilesStorage, tmp_path: Path) -> None:
    video = wb.open_video("rec/cam.mp4", storage=s3_video, cache=tmp_path / "idx")
    assert video.path == s3_video.url("rec/cam.mp4")
    assert read_frame_code(video[33]) == 33


def test_reads_are_cached_in_blocks(s3_video: FilesStorage, tmp_path: Path) -> None:
    video = wb.open_video("rec/cam.mp4", storage=s3_video, cache=tmp_path / "idx")
    calls = S3Calls(s3_video.fs)
    try:
        assert read_frame_code(video[7]) == 7  # opens the decoder: a few ranged reads
        first = dict(calls.requests)
        assert 1 <= calls.gets <= 3, first
        assert set(first) <= {"GetObject", "HeadObject"}, first  # no listing, no download
        calls.reset()
        frames = video.get_frames_at([40, 12, 55]).frames  # other keyframe groups
        assert [read_frame_code(f) for f in frames] == [40, 12, 55]
        assert calls.gets == 0  # the small file's bytes are all in the block cache
    finally:
        calls.close()


def test_named_video_from_s3_inplace_and_copy(s3_video: FilesStorage, tmp_path: Path) -> None:
    store = Datastore(tmp_path / "db")
    here = NamedVideoStream(store, "s3cam", path="rec/cam.mp4", inplace=True, storage=s3_video)
    assert here.path == s3_video.url("rec/cam.mp4") and here.inplace
    assert [read_frame_code(f) for f in here.load(rows=[50, 2])] == [50, 2]
    copy = NamedVideoStream(store, "local", path="rec/cam.mp4", storage=s3_video)
    assert Path(copy.path).is_file() and len(copy) == 60
    # reopened by name: endpoint options (never credentials) were remembered
    assert "key" not in store.entry("s3cam").meta["storage_options"]
    assert read_frame_code(next(NamedVideoStream(store, "s3cam").load(rows=[9]))) == 9
    here.delete()
    assert s3_video.exists("rec/cam.mp4")  # inplace delete never touches the object


def test_object_overwritten_during_index_build(
    s3_video: FilesStorage, s3_endpoint: str, other_mp4: Path, tmp_path: Path
) -> None:
    url = s3_video.url("rec/cam.mp4")
    new_bytes = other_mp4.read_bytes()

    def overwrite_on_second_get(n: int) -> None:
        if n == 2:  # after the identity hash, before the demux pass
            overwrite_object(s3_endpoint, s3_video.bucket, "rec/cam.mp4", new_bytes)

    calls = S3Calls(s3_video.fs, on_get=overwrite_on_second_get)
    try:
        with pytest.raises(ObjectChangedError, match=r"rec/cam\.mp4.*overwritten"):
            wb.open_video(url, storage=s3_video, cache=tmp_path / "idx")
    finally:
        calls.close()
    assert index_files(tmp_path / "idx") == []  # nothing cached from the mixed read
    video = wb.open_video(url, storage=s3_video, cache=tmp_path / "idx")
    assert len(video) == 40 and video[0].shape == (108, 192, 3)
    np.testing.assert_array_equal(video[25], wb.open_video(other_mp4, cache=False)[25])


def test_object_overwritten_after_open(
    s3_video: FilesStorage, s3_endpoint: str, other_mp4: Path, sample_mp4: Path, tmp_path: Path
) -> None:
    video = wb.open_video("rec/cam.mp4", storage=s3_video, cache=tmp_path / "idx")
    overwrite_object(s3_endpoint, s3_video.bucket, "rec/cam.mp4", other_mp4.read_bytes())
    with pytest.raises(ObjectChangedError, match="Open it again"):
        video[20]
    fresh = wb.open_video("rec/cam.mp4", storage=s3_video, cache=tmp_path / "idx")
    assert fresh.index_event == "built" and len(fresh) == 40
    assert len(index_files(tmp_path / "idx")) == 2  # one per version, never mixed
    assert fresh[3].shape == (108, 192, 3)


def test_server_stopped_mid_read_fails_after_bounded_retries(
    s3_endpoint: str, sample_mp4: Path, tmp_path: Path
) -> None:
    proxy = TcpProxy(int(s3_endpoint.rsplit(":", 1)[1]))
    storage = make_bucket(proxy.endpoint)  # the same moto server, reached through the proxy
    storage.put_file(str(sample_mp4), "cam.mp4")
    video = wb.open_video("cam.mp4", storage=storage, cache=tmp_path / "idx")
    stopped: list[int] = []

    def outage(n: int) -> None:
        if not stopped:
            proxy.stop()  # the server goes away as the read starts
            stopped.append(n)

    calls = S3Calls(storage.fs, on_get=outage)
    try:
        with pytest.raises(StorageError, match=r"cam\.mp4.*retries") as info:
            video[30]
    finally:
        calls.close()
        proxy.stop()
    assert stopped and not isinstance(info.value, FileNotFoundError)
    # bounded: at most s3fs retries x botocore attempts, each failing fast
    assert calls.gets <= storage.retries * storage.retries, calls.requests
    assert index_files(tmp_path / "idx")  # the index built before the outage is intact


def test_missing_bucket_or_key_is_named(s3_storage: FilesStorage, tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match=r"key 'nope\.mp4'.*" + s3_storage.bucket):
        wb.open_video("nope.mp4", storage=s3_storage, cache=tmp_path / "idx")
    other = FilesStorage("s3", bucket="no-such-bucket-wb", endpoint_url=s3_storage.endpoint_url)
    with pytest.raises(SourceNotFoundError, match="bucket 'no-such-bucket-wb' does not exist"):
        wb.open_video("cam.mp4", storage=other, cache=tmp_path / "idx")
    store = Datastore(tmp_path / "db")
    with pytest.raises(SourceNotFoundError, match="no-such-bucket-wb"):
        NamedVideoStream(store, "x", path="cam.mp4", inplace=True, storage=other)
    with pytest.raises(StreamNotFoundError, match="bucket 'no-such-bucket-wb'"):
        other.get("cam.mp4")
    assert store.names() == []
