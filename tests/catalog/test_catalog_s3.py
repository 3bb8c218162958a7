"""A catalog over an ``s3://`` prefix (moto server on 127.0.0.1): sidecars and media in a bucket."""

from __future__ import annotations

import json
import pickle
import uuid
from pathlib import Path
from typing import Any

import pytest
from catalog_support import FPS, FRAMES, HEIGHT, T0, WIDTH, dwtk_meta

import workbench as wb

pytestmark = pytest.mark.s3

SECRET = "wb-secret-" + uuid.uuid4().hex[:8]


@pytest.fixture
def bucket(s3_endpoint: str, tiny_mp4: Path) -> tuple[Any, str, dict[str, Any]]:
    """A new bucket holding ``data/rec1`` (a video and a CSV, with sidecars) and a
    broken video; returns (s3fs filesystem, URL of ``data``, storage options)."""
    import fsspec

    options = {"endpoint_url": s3_endpoint, "key": "testing", "secret": SECRET}
    fs = fsspec.filesystem("s3", **options)
    name = f"wb-cat-{uuid.uuid4().hex[:12]}"
    fs.mkdir(name)
    base = f"{name}/data"
    cam, can = Path("camera_01.mp4"), Path("can.csv")
    fs.pipe(f"{base}/rec1/camera_01.mp4", tiny_mp4.read_bytes())
    meta = dwtk_meta("rec1", cam, "video/mp4", {"camera/front": {"tags": ["camera", "front"]}})
    fs.pipe(f"{base}/rec1/camera_01.mp4.json", json.dumps(meta).encode())
    fs.pipe(f"{base}/rec1/can.csv", b"timestamp,speed\n" + f"{T0},1.0\n".encode())
    meta = dwtk_meta("rec1", can, "text/csv", {"can": {"tags": ["can"], "frequency": 100}})
    fs.pipe(f"{base}/rec1/can.csv.json", json.dumps(meta).encode())
    fs.pipe(f"{base}/rec2/broken.mp4", b"not a video at all" * 10)
    fs.pipe(f"{base}/.hidden/x.mp4", b"ignored")
    fs.pipe(f"{name}/data2/rec9/other.mp4", b"outside the prefix")
    return fs, f"s3://{base}", options


def test_build_catalog_over_an_s3_prefix(bucket: tuple[Any, str, dict], tmp_path: Path) -> None:
    _fs, url, options = bucket
    db = tmp_path / "catalog.db"
    cat = wb.build_catalog(url + "/", db=db, storage_options=options)
    report = cat.last_report
    assert report.added == ["rec1/camera_01.mp4", "rec1/can.csv"]
    ((bad, reason),) = report.skipped
    assert bad == f"{url}/rec2/broken.mp4" and "not readable as media" in reason
    assert cat.root == url

    (video,) = cat.select(tags=["camera", "front"])
    assert video.path == f"{url}/rec1/camera_01.mp4"  # the full URL, a string
    assert video.storage_options == options
    assert (video.width, video.height, video.num_frames, video.codec) == (
        WIDTH,
        HEIGHT,
        FRAMES,
        "h264",
    )
    assert video.fps == pytest.approx(FPS)
    assert video.start_timestamp == pytest.approx(T0)
    assert pickle.loads(pickle.dumps(video)).storage_options == options
    # the record is all a reader needs: its URL and options open the video
    with wb.open_video(video.path, storage_options=video.storage_options, cache=False) as v:
        assert len(v) == FRAMES and v[5].shape == (HEIGHT, WIDTH, 3)
    (can,) = cat.select(tags="can", content_type="text/csv")
    assert can.path == f"{url}/rec1/can.csv" and can.frequency == 100.0
    assert cat.select(record_id="rec1").paths == [f"{url}/rec1/camera_01.mp4", can.path]
    assert cat.select().missing() == []
    (rec,) = cat.select().recordings()
    assert rec["can"].storage_options == options
    cat.close()

    # credentials never reach the catalog file; they come with open_catalog
    assert SECRET.encode() not in db.read_bytes()
    assert wb.open_catalog(db, readonly=True).select(tags="can")[0].storage_options == {}
    reopened = wb.open_catalog(db, storage_options=options)
    assert reopened.select(tags="can")[0].storage_options == options


def test_an_s3_catalog_is_updated_incrementally(
    bucket: tuple[Any, str, dict], tmp_path: Path
) -> None:
    fs, url, options = bucket
    base = url.removeprefix("s3://")
    db = tmp_path / "catalog.db"
    wb.build_catalog(url, db=db, storage_options=options).close()

    calls: list[tuple[str, str]] = []  # the S3 requests really sent (botocore's event hook)

    def count(model: Any, params: dict, **kwargs: Any) -> None:  # params: the HTTP request
        calls.append((model.name, f"{params['url_path']}?{params['query_string']}"))

    fs.s3.meta.events.register("before-call.s3", count)  # the instance ingest shares
    try:
        cat = wb.build_catalog(url, db=db, storage_options=options)  # nothing changed
    finally:
        fs.s3.meta.events.unregister("before-call.s3", count)
    report = cat.last_report
    assert (report.added, report.updated, report.removed, report.unchanged) == ([], [], [], 2)
    # one listing; no object of rec1 read again (the broken video, never catalogued,
    # is tried again on every run, as a local one is)
    assert [name for name, _ in calls].count("ListObjectsV2") == 1
    assert not [where for name, where in calls if "rec1" in where]
    assert [name for name, where in calls if "rec2/broken.mp4" in where]  # the hook sees keys

    # a CSV overwritten with the same size (only the ETag tells) and a changed sidecar
    old = fs.cat(f"{base}/rec1/can.csv")
    fs.pipe(f"{base}/rec1/can.csv", old.replace(b"1.0", b"2.0"))
    meta = json.loads(fs.cat(f"{base}/rec1/camera_01.mp4.json"))
    meta["contents"]["camera/front"]["tags"].append("changed")
    fs.pipe(f"{base}/rec1/camera_01.mp4.json", json.dumps(meta).encode())
    report = cat.ingest()
    assert report.updated == ["rec1/camera_01.mp4", "rec1/can.csv"] and report.added == []
    assert [r.path for r in cat.select(tags="changed")] == [f"{url}/rec1/camera_01.mp4"]

    # a vanished object is removed; only a sub-prefix is rescanned when asked
    fs.rm(f"{base}/rec1/can.csv")
    report = cat.ingest(url + "/rec1")
    assert report.removed == ["rec1/can.csv"] and report.unchanged == 1
    assert len(cat) == 1


def test_s3_catalog_errors_are_typed(s3_endpoint: str, tmp_path: Path) -> None:
    options = {"endpoint_url": s3_endpoint, "key": "testing", "secret": "testing"}
    with pytest.raises(wb.InvalidArgumentError, match="db="):
        wb.build_catalog("s3://any-bucket/data", storage_options=options)
    with pytest.raises(wb.SourceNotFoundError, match="no-such-bucket"):
        wb.build_catalog(
            "s3://no-such-bucket-here/data", db=tmp_path / "c.db", storage_options=options
        )


def test_an_unreachable_store_changes_nothing(
    bucket: tuple[Any, str, dict], tmp_path: Path
) -> None:
    from s3_support import free_port

    _fs, url, options = bucket
    db = tmp_path / "catalog.db"
    wb.build_catalog(url, db=db, storage_options=options).close()
    gone = {
        **options,
        "endpoint_url": f"http://127.0.0.1:{free_port()}",  # nobody listens there
        "config_kwargs": {"retries": {"total_max_attempts": 1}, "connect_timeout": 1},
    }
    cat = wb.open_catalog(db, storage_options=gone)
    with pytest.raises(wb.StorageError, match="cannot list dataset prefix"):
        cat.ingest()
    assert len(cat) == 2 and cat.select(tags="can")[0].path == f"{url}/rec1/can.csv"
