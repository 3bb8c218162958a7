"""One vocabulary for reading options: ReadOptions, the entry points that take it, and the
old spellings that still work with a warning."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest

import workbench as wb
from workbench.catalog.record import Record
from workbench.cli import build_parser
from workbench.errors import InvalidArgumentError, WorkbenchDeprecationWarning
from workbench.export.clip import export_clip
from workbench.export.cluster import export_clips
from workbench.export.contact_sheet import contact_sheet
from workbench.export.frames import export_frames
from workbench.formats.bags.topic_video import TopicVideo
from workbench.options import FRAME_OPTION_NAMES, READ_OPTION_NAMES, ReadOptions
from workbench.parallel.records import RecordSpec
from workbench.readers.api import read
from workbench.streams.ops import map_streams
from workbench.video import Video

FIELDS = {f.name: f for f in dataclasses.fields(ReadOptions)}

#: public entry points -> the read options they do not take as ReadOptions says, and why
ENTRY_POINTS = {
    read: {},
    Record.read: {},
    RecordSpec.read: {},  # what a map_records task reads
    Video.iter_batches: {},
    TopicVideo.iter_batches: {},
    # a user must choose a rate (None: every frame); format is the image format there
    export_frames: {"target_frame_rate": "required", "format": "image format"},
    export_clip: {"start": "required", "end": "required"},
    export_clips: {},  # each clip's window comes from its row
    contact_sheet: {},  # every= is the rate; the size comes from width= and columns=
    map_streams: {},  # rows, not a time window: only resize_rate applies
}
#: the entry points that take every read option (and options=)
FULL = (read, Record.read, RecordSpec.read, Video.iter_batches, TopicVideo.iter_batches)


@pytest.mark.parametrize("entry", list(ENTRY_POINTS), ids=lambda f: f.__qualname__)
def test_entry_points_spell_the_read_options_as_read_options_does(entry):
    params = inspect.signature(entry).parameters
    taken = [name for name in params if name in FIELDS]
    assert taken, f"{entry.__qualname__} takes no read option"
    exceptions = ENTRY_POINTS[entry]
    for name in taken:
        if name in exceptions:
            continue
        field, param = FIELDS[name], params[name]
        assert param.default == field.default, (entry.__qualname__, name)
        assert param.annotation == field.type, (entry.__qualname__, name)
        assert param.kind is not param.VAR_KEYWORD
    if entry in FULL:
        assert taken == list(READ_OPTION_NAMES)
        assert "options" in params


def test_the_command_line_speaks_the_same_words():
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices["export"]
    for action in ("frames", "clip"):
        p = sub._subparsers._group_actions[0].choices[action]
        flags = {o for a in p._actions for o in a.option_strings}
        assert {"--start", "--end", "--target-frame-rate", "--resize-rate"} <= flags
        dests = {a.dest for a in p._actions}
        assert {"target_frame_rate", "resize_rate", "start", "end"} <= dests


def test_read_options_check_and_normalise_once():
    opts = ReadOptions(start=1, end=np.float32(3), size=[64, np.int64(48)])
    assert (opts.start, opts.end, opts.size) == (1.0, 3.0, (64, 48))
    assert type(opts.start) is float and type(opts.size[1]) is int
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.start = 2  # type: ignore[misc]
    with pytest.raises(InvalidArgumentError, match="start=3 must be before end=2"):
        opts.replace(start=3, end=2)
    assert opts.replace(mode="keyframes").keywords()["mode"] == "keyframes"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"start": "x"}, "start='x' is not a number"),
        ({"end": float("inf")}, "end=inf must be a finite number"),
        ({"target_frame_rate": 0}, "target_frame_rate=0 must be a positive number"),
        ({"resize_rate": -1}, "resize_rate=-1 must be a positive number"),
        ({"segment_duration": None}, "segment_duration must be a positive number of seconds"),
        ({"size": (0, 5)}, r"size=\(0, 5\) must be a \(width, height\) pair"),
        ({"format": "rgba"}, "format='rgba' is not one of rgb24, bgr24, gray"),
        ({"mode": "fast"}, "mode='fast' is not one of exact, keyframes"),
    ],
)
def test_read_options_name_the_bad_value(options, message):
    with pytest.raises(InvalidArgumentError, match=message):
        ReadOptions(**options)


def test_read_takes_a_ready_options_object(media):
    opts = ReadOptions(target_frame_rate=2, resize_rate=0.5, segment_duration=1.0)
    by_keywords = wb.read(media["video"], target_frame_rate=2, resize_rate=0.5, segment_duration=1)
    by_object = wb.read(media["video"], options=opts)
    assert by_object.options == by_keywords.options == opts
    assert by_object.plan() == by_keywords.plan()
    with pytest.raises(InvalidArgumentError, match=r"options=options.replace\(start=1\)"):
        wb.read(media["video"], options=opts, start=1)
    with pytest.raises(InvalidArgumentError, match=r"must be a workbench\.options\.ReadOptions"):
        wb.read(media["video"], options={"start": 1})


def test_a_record_spec_reads_its_window_with_keywords_or_options(media):
    spec = RecordSpec(path=str(media["video"]), record_id="cam", start=1.5, end=3.0)
    by_keywords = spec.read(target_frame_rate=2, cache=media["cache"])
    by_object = spec.read(options=ReadOptions(target_frame_rate=2), cache=media["cache"])
    want = ReadOptions(start=spec.start, end=spec.end, target_frame_rate=2)
    assert by_keywords.options == by_object.options == want
    assert spec.read(start=2.0, cache=media["cache"]).options.start == 2.0
    with pytest.raises(InvalidArgumentError, match=r"options=options.replace\(mode='keyframes'\)"):
        spec.read(options=want, mode="keyframes")


# ---- Video.iter_batches: the read vocabulary; the old spellings warn and mean the same -----
def _frames(batches):
    batches = list(batches)
    return [b.indices.tolist() for b in batches], [b.frames.shape for b in batches]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"stop": 2.0}, {"end": 2.0}),
        ({"fps": 3}, {"target_frame_rate": 3}),
        ({"scale": 0.5}, {"resize_rate": 0.5}),
        ({"segment_seconds": 0.5}, {"segment_duration": 0.5}),
    ],
    ids=lambda d: next(iter(d)),
)
def test_iter_batches_old_spellings_warn_and_read_the_same(media, old, new):
    video = wb.open_video(media["video"], cache=media["cache"])
    name = next(iter(old))
    with pytest.warns(WorkbenchDeprecationWarning, match=f"{name}= is deprecated") as warned:
        batches = video.iter_batches(0.5, **old)
    assert warned[0].filename == __file__  # it points at the caller's line
    assert _frames(batches) == _frames(video.iter_batches(0.5, **new))


def test_iter_batches_checks_at_the_call(media):
    video = wb.open_video(media["video"], cache=media["cache"])
    with pytest.raises(InvalidArgumentError, match="did you mean target_frame_rate=2"):
        video.iter_batches(frame_rate=2)
    with pytest.raises(InvalidArgumentError, match="fps is the old spelling"):
        video.iter_batches(fps=2, target_frame_rate=3)
    with pytest.raises(InvalidArgumentError, match="must be before"):
        video.iter_batches(3, 1)  # not a silently empty read


def test_iter_batches_keyframes_mode(media):
    video = wb.open_video(media["video"], cache=media["cache"])
    batches = list(video.iter_batches(target_frame_rate=10, mode="keyframes"))
    got = np.concatenate([b.indices for b in batches])
    assert got.tolist() == video.keyframe_indices.tolist()  # 1 s GOPs, one per second
    np.testing.assert_array_equal(batches[0].frames[0], video[0])


# ---- the indexing methods: resize_rate / size / format; scale= is the old spelling ----------
INDEXING = {  # method -> what it is asked for
    "get_frame_at": 7,
    "get_frames_at": [9, 2, 9],
    "get_frame_played_at": 1.5,
    "get_frames_played_at": [0.25, 1.05],
    "get_keyframe_preview": 12,
}


@pytest.mark.parametrize("cls", [Video, TopicVideo], ids=lambda c: c.__name__)
@pytest.mark.parametrize("method", list(INDEXING))
def test_indexing_methods_spell_the_frame_options_as_read_options_does(cls, method):
    params = inspect.signature(getattr(cls, method)).parameters
    taken = [name for name in params if name in FIELDS]
    assert taken == list(FRAME_OPTION_NAMES)
    for name in taken:
        assert params[name].default == FIELDS[name].default, (method, name)
        assert params[name].annotation == FIELDS[name].type, (method, name)
    assert "scale" not in params


@pytest.fixture(scope="module")
def videos(media, tmp_path_factory):
    """The shared video, and an image topic of a sample bag (both take the same methods)."""
    from workbench.samples.bags import write_sample_bag

    root = tmp_path_factory.mktemp("indexing")
    bag = write_sample_bag(root / "drive.mcap", duration_seconds=2)
    return {
        "Video": wb.open_video(media["video"], cache=media["cache"]),
        "TopicVideo": wb.open_video(bag, topic="/dashcam/image_raw/compressed", cache=root),
    }


@pytest.mark.parametrize("kind", ["Video", "TopicVideo"])
@pytest.mark.parametrize("method", list(INDEXING))
def test_indexing_old_scale_spelling_warns_and_returns_the_same(videos, kind, method):
    video = videos[kind]
    get = getattr(video, method)
    message = rf"{kind}\.{method}: scale= is deprecated, use resize_rate="
    with pytest.warns(WorkbenchDeprecationWarning, match=message) as warned:
        old = get(INDEXING[method], scale=0.5)
    assert warned[0].filename == __file__  # it points at the caller's line
    new = get(INDEXING[method], resize_rate=0.5)
    old_frames, new_frames = getattr(old, "frames", old), getattr(new, "frames", new)
    np.testing.assert_array_equal(old_frames, new_frames)
    w, h = video.metadata.width, video.metadata.height
    assert old_frames.shape[-3:] == (round(h / 2), round(w / 2), 3)


def test_indexing_methods_check_their_options(videos):
    video = videos["Video"]
    with pytest.raises(InvalidArgumentError, match="scale is the old spelling of resize_rate"):
        video.get_frame_at(0, scale=0.5, resize_rate=0.25)
    with pytest.raises(InvalidArgumentError, match=r"unknown option fps=2: Video\.get_frames_at"):
        video.get_frames_at([0], fps=2)
    with pytest.raises(InvalidArgumentError, match="give either resize_rate= or size="):
        videos["TopicVideo"].get_frame_at(0, resize_rate=0.5, size=(4, 4))
    with pytest.raises(InvalidArgumentError, match="format='yuv' is not supported"):
        videos["TopicVideo"].get_frames_at([0], format="yuv")


# ---- streams: map_streams (was run), output_frame_rate (was fps) ---------------------------
def test_run_and_fps_are_old_names_of_map_streams_and_output_frame_rate(tmp_path):
    from workbench.streams import Datastore, NamedVideoStream, run

    store = Datastore(tmp_path / "store")
    frames = [np.full((16, 16, 3), 10 * i, np.uint8) for i in range(4)]
    src = NamedVideoStream.from_frames(store, "src", frames, 4)
    new = map_streams(src, lambda f: f, NamedVideoStream(store, "new"), output_frame_rate=8)
    with pytest.warns(WorkbenchDeprecationWarning) as warned:
        old = run(src, lambda f: f, NamedVideoStream(store, "old"), fps=8)
    messages = [str(w.message) for w in warned]
    assert "workbench.streams.run is deprecated, use map_streams (same arguments)" in messages
    assert "map_streams: fps= is deprecated, use output_frame_rate= (same meaning)" in messages
    assert warned[0].filename == __file__
    assert len(old[0]) == len(new[0]) == 4 and old[0].fps == new[0].fps == 8
    with pytest.raises(InvalidArgumentError, match=r"did you mean resize_rate=0\.5"):
        map_streams(src, lambda f: f, NamedVideoStream(store, "x"), scale=0.5)
