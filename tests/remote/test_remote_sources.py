"""Every entry point reads S3 URLs and remote Videos exactly as it reads the local file.

A real moto S3 server on 127.0.0.1 holds a copy of a local recording; each remote result
(frames, timestamps, exported files, clip, contact sheet, scrubber JPEGs) is compared with
the local file's, byte for byte or pixel for pixel.
"""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest
from PIL import Image
from remote_support import START, Remote

import workbench as wb
from workbench.errors import InvalidArgumentError, SourceNotFoundError
from workbench.readers.source import resolve_source
from workbench.samples import read_frame_code

pytestmark = pytest.mark.s3

VIDEO = "rec/cam.mp4"


def same_batches(a: list, b: list) -> None:
    assert len(a) == len(b) and len(a) > 0
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.frames, y.frames)
        np.testing.assert_array_equal(x.timestamps, y.timestamps)
        np.testing.assert_array_equal(x.indices, y.indices)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_resolver_keeps_urls_and_finds_sidecars_in_the_bucket(remote: Remote) -> None:
    src = resolve_source(remote.url(VIDEO), storage_options=remote.options)
    assert src.is_remote and src.path == remote.url(VIDEO)  # not cwd/s3:/bucket/...
    assert (src.name, src.record_id, src.start_timestamp) == ("cam.mp4", "016_s3", START)
    assert src.timestamps_path == remote.url("rec/cam_timestamps.csv")
    ident = src.identity()
    assert ident["size"] == remote.local(VIDEO).stat().st_size and ident["etag"]
    # the catalog's contract: a row / Record whose path is a URL and carries its options
    row = {"path": remote.url(VIDEO), "storage_options": remote.options, "record_id": "r9"}
    assert resolve_source(row).record_id == "r9"
    record = SimpleNamespace(path=remote.url(VIDEO), storage_options=remote.options)
    assert resolve_source(record).timestamps_path == src.timestamps_path


def test_missing_objects_are_named(remote: Remote) -> None:
    with pytest.raises(SourceNotFoundError, match=r"rec/nope\.mp4") as info:
        wb.read(remote.url("rec/nope.mp4"), storage_options=remote.options)
    assert "s3:/" not in str(info.value).replace("s3://", "")  # never a local cwd path
    other = remote.url(VIDEO).replace(remote.storage.bucket, "no-such-bucket-wb")
    with pytest.raises(SourceNotFoundError, match="bucket 'no-such-bucket-wb' does not exist"):
        wb.read(other, storage_options=remote.options)
    with pytest.raises(InvalidArgumentError, match="storage_options"):
        wb.read(remote.local(VIDEO), storage_options=remote.options)


def test_outputs_are_local(remote: Remote, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # a URL taken as a path would make ./s3:/... here
    with pytest.raises(InvalidArgumentError, match=r"out_dir='s3://.*is a URL"):
        wb.export_frames(remote.local(VIDEO), remote.url("dump"), target_frame_rate=1)
    with pytest.raises(InvalidArgumentError, match=r"out_path='s3://.*is a URL"):
        wb.export_clip(remote.local(VIDEO), remote.url("c.mp4"), start=START, end=START + 1)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("given", ["url", "video"])
def test_read_matches_the_local_file(remote: Remote, given: str) -> None:
    options = {"target_frame_rate": 7, "resize_rate": 0.5, "segment_duration": 0.5}
    if given == "url":
        reader = wb.read(remote.url(VIDEO), storage_options=remote.options, **options)
    else:
        video = wb.open_video(remote.url(VIDEO), storage_options=remote.options)
        reader = wb.read(video, **options)
    local = wb.read(remote.local(VIDEO), **options)
    assert reader.record_id == local.record_id == "016_s3"
    same_batches(list(reader), list(local))
    # the per-frame times came from the sidecar in the bucket
    first = reader.read_all()
    assert first.timestamps[1] != pytest.approx(START + first.indices[1] / 30, abs=1e-4)


def test_series_and_images_from_urls(remote: Remote) -> None:
    series = wb.read(remote.url("rec/gps.csv"), storage_options=remote.options, segment_duration=1)
    local = wb.read(remote.local("rec/gps.csv"), segment_duration=1)
    assert len(series) == len(local) == 4
    got, want = series.read_all(), local.read_all()
    assert got.to_pandas().equals(want.to_pandas()) and got.timestamps[0] == START
    images = wb.read(remote.url("rec/frames"), storage_options=remote.options).read_all()
    local_images = wb.read(remote.local("rec/frames")).read_all()
    np.testing.assert_array_equal(images.frames, local_images.frames)
    np.testing.assert_array_equal(images.timestamps, local_images.timestamps)
    # a folder's identity (for resumable exports) covers every image in it
    ident = resolve_source(remote.url("rec/frames"), storage_options=remote.options).identity()
    assert ident["size"] == sum(p.stat().st_size for p in remote.local("rec/frames").iterdir())
    assert len(ident["etag"]) == 40


@pytest.mark.parametrize("given", ["url", "video"])
def test_export_frames_is_byte_identical(remote: Remote, given: str, tmp_path: Path) -> None:
    source = remote.url(VIDEO)
    if given == "video":
        source = wb.open_video(source, storage_options=remote.options)
    kwargs = {"target_frame_rate": 10, "resize_rate": 0.5, "progress": False}
    result = wb.export_frames(
        source, tmp_path / "s3", storage_options=None if given == "video" else remote.options,
        **kwargs,
    )  # fmt: skip
    local = wb.export_frames(remote.local(VIDEO), tmp_path / "local", **kwargs)
    assert result.written == local.written >= 20 and not result.failed
    assert files_of(tmp_path / "s3") == files_of(tmp_path / "local")
    again = wb.export_frames(
        remote.url(VIDEO), tmp_path / "s3", storage_options=remote.options, **kwargs
    )
    assert (again.written, again.skipped) == (0, local.written)  # resumable: identity held


def test_export_clip_copy_and_encode(remote: Remote, tmp_path: Path) -> None:
    window = {"start": START + 0.5, "end": START + 1.5}
    for resize in (None, 0.5):  # 0.5 s is a keyframe: copy; a resize re-encodes
        remote_clip = wb.export_clip(
            remote.url(VIDEO), tmp_path / f"s3-{resize}.mp4", storage_options=remote.options,
            resize_rate=resize, progress=False, **window,
        )  # fmt: skip
        local_clip = wb.export_clip(
            remote.local(VIDEO), tmp_path / f"local-{resize}.mp4", resize_rate=resize,
            progress=False, **window,
        )  # fmt: skip
        assert remote_clip.method == local_clip.method == ("copy" if resize is None else "encode")
        assert remote_clip.frames == local_clip.frames > 0
        assert remote_clip.path.read_bytes() == local_clip.path.read_bytes()
    video = wb.open_video(remote.url(VIDEO), storage_options=remote.options)
    from_video = wb.export_clip(video, tmp_path / "video.mp4", progress=False, **window)
    assert from_video.path.read_bytes() == (tmp_path / "local-None.mp4").read_bytes()
    with av.open(str(tmp_path / "s3-None.mp4")) as clip:
        codes = [read_frame_code(f.to_ndarray(format="rgb24")) for f in clip.decode(video=0)]
    assert codes == list(range(15, 45))


def test_contact_sheet_from_a_remote_video(remote: Remote) -> None:
    video = wb.open_video(remote.url(VIDEO), storage_options=remote.options)
    sheet = wb.contact_sheet(video, every=0.5, columns=3, width=300)
    by_url = wb.contact_sheet(
        remote.url(VIDEO), storage_options=remote.options, every=0.5, columns=3, width=300
    )
    local = wb.contact_sheet(remote.local(VIDEO), every=0.5, columns=3, width=300)
    np.testing.assert_array_equal(np.asarray(sheet), np.asarray(local))
    np.testing.assert_array_equal(np.asarray(by_url), np.asarray(local))


class Frontend:
    """Stands in for the browser: sends frame requests, keeps the replies."""

    def __init__(self, widget: wb.VideoScrubber) -> None:
        self.widget = widget
        self.replies: dict[int, tuple[dict, list[bytes]]] = {}
        widget.send = self._capture  # type: ignore[method-assign]

    def _capture(self, content: dict, buffers: list[bytes] | None = None) -> None:
        self.replies[content.get("seq", -1)] = (content, list(buffers or []))

    def frame(self, index: int, seq: int) -> bytes:
        import time

        self.widget._handle_message(self.widget, {"type": "frame", "index": index, "seq": seq}, [])
        deadline = time.monotonic() + 20
        while seq not in self.replies:
            assert time.monotonic() < deadline, "no reply"
            time.sleep(0.005)
        content, buffers = self.replies[seq]
        assert content["index"] == index and content["exact"]
        return buffers[0]


@pytest.mark.parametrize("given", ["url", "video"])
def test_scrubber_frames_match_the_local_file(remote: Remote, given: str, tmp_path: Path) -> None:
    if given == "url":
        scrubber = wb.VideoScrubber(remote.url(VIDEO), storage_options=remote.options)
    else:
        video = wb.open_video(remote.url(VIDEO), storage_options=remote.options)
        scrubber = wb.VideoScrubber(video)
    local = wb.VideoScrubber(remote.local(VIDEO))
    try:
        assert scrubber.label == "cam.mp4" and scrubber.num_frames == 60
        assert scrubber.timestamp == local.timestamp  # from the sidecar in the bucket
        fe, fe_local = Frontend(scrubber), Frontend(local)
        for seq, index in enumerate([0, 37, 16, 59, 3], 1):
            jpeg = fe.frame(index, seq)
            assert jpeg == fe_local.frame(index, seq)
            picture = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
            assert read_frame_code(picture) == index
        # the export panel reads the URL again (with its options), not the scrubber's decoder
        panel = wb.ExportPanel(scrubber, out_dir=tmp_path / "panel", target_frame_rate=5)
        summary = panel.export().result(60)
        local_panel = wb.ExportPanel(local, out_dir=tmp_path / "local", target_frame_rate=5)
        assert summary["written"] == local_panel.export().result(60)["written"] >= 10
        assert not summary["failed"]
        assert files_of(tmp_path / "panel") == files_of(tmp_path / "local")
    finally:
        scrubber.close()
        local.close()
