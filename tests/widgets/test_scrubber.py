"""VideoScrubber: traitlets, the frame request/reply protocol, callbacks, cleanup."""

from __future__ import annotations

import threading

import ipywidgets
import numpy as np
import pytest

import workbench as wb
from workbench.errors import FrameIndexError, InvalidArgumentError
from workbench.samples import read_frame_code
from workbench.widgets.protocol import parse_frame_request


def test_parse_frame_request_clamps_and_rejects() -> None:
    req = parse_frame_request(
        {"type": "frame", "index": 500, "seq": 3, "preview": True}, num_frames=90
    )
    assert (req.index, req.seq, req.preview) == (89, 3, True)
    assert parse_frame_request({"type": "frame", "index": -4, "seq": 1}, num_frames=90).index == 0
    with pytest.raises(InvalidArgumentError, match="index"):
        parse_frame_request({"type": "frame", "index": "7", "seq": 1}, num_frames=90)
    with pytest.raises(InvalidArgumentError, match="not a frame request"):
        parse_frame_request({"type": "thumbs"}, num_frames=90)


def test_public_names() -> None:
    assert wb.VideoScrubber.__name__ == "VideoScrubber"
    for name in ("ExportPanel", "Filmstrip", "Timeline", "CatalogBrowser"):
        assert getattr(wb, name).__name__ == name


def test_metadata_traitlets(scrubber) -> None:
    assert scrubber.num_frames == 90
    assert scrubber.width == 160 and scrubber.height == 96
    assert scrubber.fps == pytest.approx(30)
    assert scrubber.duration_seconds == pytest.approx(3.0, abs=0.05)
    assert (scrubber.in_point, scrubber.out_point) == (0, 89)
    state = scrubber.get_state()
    assert not any(isinstance(v, (bytes, memoryview)) for v in state.values()), "no frame in state"


@pytest.mark.parametrize("index", [0, 1, 14, 15, 16, 47, 89, 3])
def test_request_returns_jpeg_of_that_frame(scrubber, frontend, jpeg_code, index: int) -> None:
    fe = frontend(scrubber)
    fe.request({"type": "frame", "index": index, "seq": 7})
    reply, buffers = fe.wait_for(7)
    assert reply["type"] == "frame" and reply["index"] == index and reply["exact"] is True
    assert reply["time"] == pytest.approx(scrubber.source.clock.pts_seconds[index])
    assert len(buffers) == 1
    assert jpeg_code(buffers[0]) == index


def test_requests_in_random_order_all_exact(scrubber, frontend, jpeg_code) -> None:
    fe = frontend(scrubber)
    order = np.random.default_rng(1).permutation(90)[:25]
    for seq, i in enumerate(order, 1):
        fe.request({"type": "frame", "index": int(i), "seq": seq})
        _, buffers = fe.wait_for(seq)
        assert jpeg_code(buffers[0]) == i


def test_preview_request_sends_keyframe_then_exact(scrubber, frontend, jpeg_code) -> None:
    fe = frontend(scrubber)
    fe.request({"type": "frame", "index": 52, "seq": 1, "preview": True, "hint": "drag"})
    reply, buffers = fe.wait_for(1)
    # either the exact frame was already prefetched, or the keyframe preview came back
    if reply["exact"]:
        assert jpeg_code(buffers[0]) == 52
    else:
        assert reply["keyframe_index"] == 45
        assert read_frame_code(np.asarray(_img(buffers[0]))) == 45
    fe.request({"type": "frame", "index": 52, "seq": 2, "preview": False, "hint": "release"})
    reply, buffers = fe.wait_for(2)
    assert reply["exact"] and jpeg_code(buffers[0]) == 52


def _img(data: bytes):
    import io

    from PIL import Image

    return Image.open(io.BytesIO(data)).convert("RGB")


def test_bad_request_gets_error_reply(scrubber, frontend) -> None:
    fe = frontend(scrubber)
    fe.request({"type": "frame", "index": None, "seq": 4})
    reply, buffers = fe.wait_for(4)
    assert reply["type"] == "error" and "index" in reply["message"] and not buffers


def test_value_time_timestamp_stay_consistent(scrubber) -> None:
    pts = scrubber.source.clock.pts_seconds
    scrubber.value = 30
    assert scrubber.time == pytest.approx(pts[30])
    assert scrubber.timestamp == pytest.approx(scrubber.frame_timestamps[30])
    scrubber.time = 2.01  # the frame on screen at 2.01 s
    assert scrubber.value == 60 and scrubber.time == pytest.approx(pts[60])
    scrubber.value = -1
    assert scrubber.value == 89
    scrubber.timestamp = float(scrubber.frame_timestamps[10]) + 0.001
    assert scrubber.value == 10


def test_traitlet_validation(scrubber) -> None:
    with pytest.raises(FrameIndexError, match="out of range"):
        scrubber.value = 90
    with pytest.raises(FrameIndexError, match="outside the video"):
        scrubber.time = 99.0
    with pytest.raises(InvalidArgumentError, match="playback_rate"):
        scrubber.playback_rate = 3.0
    scrubber.playback_rate = 2.0
    with pytest.raises(FrameIndexError, match="in_point"):
        scrubber.in_point = 89
        scrubber.out_point = 10
    scrubber.set_range(20, 40)
    assert (scrubber.in_point, scrubber.out_point) == (20, 40)
    with pytest.raises(FrameIndexError):
        scrubber.set_range(50, 40)
    assert scrubber.value == 0  # failed assignments left the state alone


def test_link_and_observe_work_both_ways(video_path) -> None:
    a = wb.VideoScrubber(video_path)
    b = wb.VideoScrubber(video_path)
    try:
        link = ipywidgets.link((a, "value"), (b, "value"))
        seen: list[int] = []
        b.observe(lambda ch: seen.append(ch["new"]), names="value")
        a.value = 12
        assert b.value == 12 and b.time == pytest.approx(a.time)
        b.value = 33
        assert a.value == 33
        assert seen == [12, 33]
        link.unlink()
    finally:
        a.close()
        b.close()


def test_front_end_state_update_reaches_python(scrubber) -> None:
    events = []
    scrubber.on_frame(events.append)
    pts = scrubber.source.clock.pts_seconds
    # what the view sends after painting an exact frame
    scrubber.set_state({"value": 41, "time": float(pts[41]), "timestamp": float(pts[41])})
    assert scrubber.value == 41
    assert [e.index for e in events] == [41]
    assert read_frame_code(events[0].frame) == 41


def test_on_frame_callbacks(scrubber) -> None:
    got = []

    def cb(event):
        got.append((event.index, round(event.time, 3)))

    scrubber.on_frame(cb)
    scrubber.value = 5
    scrubber.time = 1.0
    scrubber.on_frame(cb, remove=True)
    scrubber.value = 6
    assert got == [(5, round(5 / 30, 3)), (30, 1.0)]
    with pytest.raises(InvalidArgumentError):
        scrubber.on_frame("not callable")  # type: ignore[arg-type]


def test_failing_callback_is_logged_not_raised(scrubber, caplog) -> None:
    scrubber.on_frame(lambda e: 1 / 0)
    scrubber.value = 3
    assert scrubber.value == 3
    assert "on_frame callback" in caplog.text


def test_get_frame(scrubber) -> None:
    assert read_frame_code(scrubber.get_frame(77)) == 77
    scrubber.value = 8
    assert read_frame_code(scrubber.get_frame()) == 8


def test_accepts_video_and_record(video_path) -> None:
    video = wb.open_video(video_path)
    s = wb.VideoScrubber(video)
    try:
        assert s.video is video and s.num_frames == len(video)
        assert read_frame_code(s.get_frame(20)) == 20
    finally:
        s.close()
    assert len(video) == 90  # the scrubber did not close a video it did not open
    video.close()
    rec = wb.Record(
        {"record_id": "r1", "path": str(video_path), "content_type": "video/mp4",
         "start_timestamp": 1000.0, "tags": ["camera"]}
    )  # fmt: skip
    s = wb.VideoScrubber(rec)
    try:
        assert s.start_timestamp == pytest.approx(1000.0)
        s.value = 30
        assert s.timestamp == pytest.approx(1000.0 + s.time)
    finally:
        s.close()


def test_missing_file_raises(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        wb.VideoScrubber(tmp_path / "nope.mp4")


def test_close_stops_worker_and_comm(video_path, frontend) -> None:
    before = {t.ident for t in threading.enumerate()}
    s = wb.VideoScrubber(video_path)
    fe = frontend(s)
    fe.request({"type": "frame", "index": 3, "seq": 1})
    fe.wait_for(1)
    server = s._server
    s.close()
    assert server.closed and not server._thread.is_alive()
    assert server.cache_nbytes == 0
    assert s.comm is None
    leftover = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert not [t for t in leftover if t.name == "workbench-frames"]
    n = len(fe.sent)
    fe.request({"type": "frame", "index": 4, "seq": 2})  # after close: no reply, no crash
    assert len(fe.sent) == n


def test_offset_seconds_request(scrubber, frontend, jpeg_code) -> None:
    fe = frontend(scrubber)
    fe.request({"type": "frame", "index": 10, "seq": 1, "offset_seconds": 1.0})
    reply, buffers = fe.wait_for(1)
    assert reply["index"] == 40 and jpeg_code(buffers[0]) == 40
    fe.request({"type": "frame", "index": 10, "seq": 2, "offset_seconds": -1.0})
    reply, buffers = fe.wait_for(2)
    assert reply["index"] == 0 and jpeg_code(buffers[0]) == 0  # clamped at the start
    fe.request({"type": "frame", "index": 80, "seq": 3, "offset_seconds": 1.0})
    assert fe.wait_for(3)[0]["index"] == 89


def test_frames_are_sent_at_the_view_width(scrubber, frontend, jpeg_code) -> None:
    import io

    from PIL import Image

    fe = frontend(scrubber)
    scrubber.set_state({"view_width": 128})  # what the view reports after layout
    fe.request({"type": "frame", "index": 33, "seq": 1})
    reply, buffers = fe.wait_for(1)
    image = Image.open(io.BytesIO(buffers[0]))
    assert image.size == (128, 76) and (reply["width"], reply["height"]) == (128, 76)
    assert jpeg_code(buffers[0]) == 33
    scrubber.view_width = 0  # full size again
    fe.request({"type": "frame", "index": 33, "seq": 2})
    assert Image.open(io.BytesIO(fe.wait_for(2)[1][0])).size == (160, 96)
    with pytest.raises(InvalidArgumentError):
        scrubber.view_width = -5


def test_playback_prefetches_at_the_play_step_and_never_goes_back(video_path) -> None:
    import threading

    from workbench.widgets.prefetch import FrameServer

    video = wb.open_video(video_path)
    server = FrameServer(video, warm_keyframes=False)
    try:
        shown = []
        server.set_play_stride(4)  # a session that plays every 4th frame (4x)
        for index in (0, 4, 8, 12, 16, 20):
            done = threading.Event()
            server.request(
                index, preview=False, hint="play",
                reply=lambda f, e, done=done: (shown.append(f.index), done.set()),
            )  # fmt: skip
            assert done.wait(30)
        assert shown == sorted(shown) and len(set(shown)) == len(shown)
        assert all(i - 4 < s <= i for s, i in zip(shown, (0, 4, 8, 12, 16, 20), strict=True))
        plan = [i for kind, i in server._plan if kind == "exact"]
        assert all(i > 20 and (i - 20) % 4 == 0 for i in plan)  # planned at the play step
    finally:
        server.close()
        video.close()


def _replies(fe, seq: int, count: int, timeout: float = 20.0) -> list[tuple[dict, list[bytes]]]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = [(c, b) for c, b in fe.sent if c.get("seq") == seq]
        if len(got) >= count:
            return got
        time.sleep(0.005)
    raise AssertionError(f"{count} replies with seq {seq} expected; got {fe.sent}")


def test_prefetch_batch_answers_every_index_once(scrubber, frontend, jpeg_code) -> None:
    fe = frontend(scrubber)
    fe.request({"type": "prefetch", "seq": 5, "indices": [61, 62, 20, 89], "preview": False})
    replies = _replies(fe, 5, 4)
    assert len(replies) == 4
    assert all(c["type"] == "frame" and c["prefetch"] and c["exact"] for c, _ in replies)
    assert sorted(c["index"] for c, _ in replies) == [20, 61, 62, 89]
    assert all(jpeg_code(b[0]) == c["index"] for c, b in replies)


def test_prefetch_previews_are_keyframe_pictures(scrubber, frontend) -> None:
    fe = frontend(scrubber)
    fe.request({"type": "keyframes", "seq": 1})
    header, buffers = fe.wait_for(1)
    keyframes = np.frombuffer(buffers[0], dtype="<i4")
    assert header == {"type": "keyframes", "seq": 1, "count": 6}
    assert keyframes.tolist() == [0, 15, 30, 45, 60, 75]
    fe.request({"type": "prefetch", "seq": 2, "indices": keyframes.tolist(), "preview": True})
    replies = _replies(fe, 2, 6)
    for content, data in replies:
        assert content["keyframe_index"] == content["index"]
        assert read_frame_code(np.asarray(_img(data[0]))) == content["index"]


def test_user_request_is_served_before_queued_prefetching(video_path) -> None:
    from workbench.widgets.prefetch import FrameServer

    video = wb.open_video(video_path)
    server = FrameServer(video, warm_keyframes=False)
    order: list[str] = []
    done = threading.Event()
    try:
        with server._cond:  # hold the worker so that both queues fill up first
            for i in (70, 71, 72):
                server._soon.append((i, False, lambda f, e, i=i: order.append(f"prefetch {i}")))
            server._urgent.append((40, False, lambda f, e: (order.append("user 40"), done.set())))
            server._plan.clear()
            server._cond.notify()
        assert done.wait(30)
        assert order[0] == "user 40"
    finally:
        server.close()
        video.close()


@pytest.mark.parametrize(
    "msg",
    [
        {"type": "prefetch", "seq": 3, "indices": "1,2"},
        {"type": "prefetch", "seq": 3, "indices": [1, "2"]},
        {"type": "prefetch", "seq": 3, "indices": list(range(33))},
    ],
)
def test_bad_prefetch_gets_error_reply(scrubber, frontend, msg) -> None:
    fe = frontend(scrubber)
    fe.request(msg)
    reply, _ = fe.wait_for(3)
    assert reply["type"] == "error" and "prefetch indices" in reply["message"]


def test_view_cache_budget_validation(scrubber) -> None:
    assert scrubber.view_cache_mb == 64
    scrubber.view_cache_mb = 0
    with pytest.raises(InvalidArgumentError, match="view_cache_mb"):
        scrubber.view_cache_mb = -1


def _frames_of(fe, seq: int) -> list[int]:
    return [c["index"] for c, _ in fe.sent if c.get("seq") == seq and c["type"] == "frame"]


def test_playback_pushes_frames_as_credit_allows(scrubber, frontend, jpeg_code) -> None:
    import time

    fe = frontend(scrubber)
    fe.request({"type": "play", "seq": 9, "first": 10, "stride": 1, "credit": 4})
    replies = _replies(fe, 9, 4)
    time.sleep(0.3)  # no credit: nothing more comes
    assert _frames_of(fe, 9) == [10, 11, 12, 13]
    assert all(jpeg_code(b[0]) == c["index"] for c, b in replies)
    fe.request({"type": "credit", "seq": 9, "n": 2, "first": 0})
    _replies(fe, 9, 6)
    assert _frames_of(fe, 9) == [10, 11, 12, 13, 14, 15]
    fe.request({"type": "credit", "seq": 9, "n": 2, "first": 40})  # the view fell behind
    _replies(fe, 9, 8)
    assert _frames_of(fe, 9)[-2:] == [40, 41]  # at 1x never a substitute from before
    fe.request({"type": "stop", "seq": 9})
    fe.request({"type": "credit", "seq": 9, "n": 3, "first": 0})  # late credit: ignored
    time.sleep(0.3)
    assert len(_frames_of(fe, 9)) == 8


def test_playback_stride_stops_at_the_last_frame(scrubber, frontend) -> None:
    fe = frontend(scrubber)
    fe.request({"type": "play", "seq": 4, "first": 80, "stride": 4, "credit": 6})
    _replies(fe, 4, 3)
    assert _frames_of(fe, 4) == [80, 84, 88]  # frame 92 does not exist


def test_two_views_play_in_sessions_of_their_own(scrubber, frontend) -> None:
    import time

    fe = frontend(scrubber)  # e.g. the output and its "new view for output" copy
    fe.request({"type": "play", "seq": 1, "first": 0, "stride": 1, "credit": 1})
    fe.request({"type": "play", "seq": 2**40, "first": 50, "stride": 1, "credit": 1})
    _replies(fe, 1, 1)
    _replies(fe, 2**40, 1)
    fe.request({"type": "credit", "seq": 1, "n": 1, "first": 0})
    _replies(fe, 1, 2)
    fe.request({"type": "stop", "seq": 1})
    fe.request({"type": "credit", "seq": 1, "n": 5, "first": 0})  # stopped: nothing more
    fe.request({"type": "credit", "seq": 2**40, "n": 1, "first": 0})
    _replies(fe, 2**40, 2)
    time.sleep(0.3)
    assert _frames_of(fe, 1) == [0, 1] and _frames_of(fe, 2**40) == [50, 51]


def test_bad_playback_message_gets_error_reply(scrubber, frontend) -> None:
    fe = frontend(scrubber)
    fe.request({"type": "credit", "seq": 3, "n": "many"})
    reply, _ = fe.wait_for(3)
    assert reply["type"] == "error" and "'n'" in reply["message"]


def test_stopping_playback_withdraws_its_queued_frames(video_path) -> None:
    from workbench.widgets.playback import PlaybackStream
    from workbench.widgets.prefetch import FrameServer

    video = wb.open_video(video_path)
    server = FrameServer(video, warm_keyframes=False)
    sent: list[int] = []
    try:
        stream = PlaybackStream(server, lambda req, frame, err: sent.append(req.index), 90)
        with server._cond:  # hold the worker: the pushed frames wait in the queue
            stream.start(seq=3, first=50, stride=1, credit=6)
            queued = len(server._urgent)
            stream.stop(seq=3)  # before the worker can take one (the lock is reentrant)
        assert queued == 6 and len(server._urgent) == 0
        assert server.get(10).index == 10  # the next request is served at once
        assert sent == []
    finally:
        server.close()
        video.close()


# ---- state and messages from a careless or hostile view -----------------------------------
@pytest.mark.parametrize(
    ("state", "frame"),
    [
        ({"value": 90}, 89),  # one past the last frame
        ({"value": 10**400}, 89),
        ({"value": -7}, 0),  # the view has no "from the end"
        ({"time": 1e9}, 89),
        ({"time": -3.0}, 0),
        ({"value": 90, "time": 2.99, "timestamp": 2.99}, 89),
    ],
)
def test_out_of_range_state_from_the_view_is_clamped(scrubber, monkeypatch, state, frame) -> None:
    sent: list[dict] = []
    monkeypatch.setattr(scrubber, "_send", lambda msg, buffers=None: sent.append(msg))
    events = []
    scrubber.on_frame(events.append)
    scrubber.value = 40
    scrubber.set_state(state)
    clock = scrubber.source.clock
    assert scrubber.value == frame
    assert scrubber.time == clock.pts_seconds[frame]
    assert scrubber.timestamp == clock.timestamps[frame]
    assert events[-1].index == frame
    # the view is told what the kernel made of it: what it sent, updated by what it was sent
    view = dict(state)
    for msg in sent:
        view.update(msg["state"] if msg.get("method") == "update" else {})
    assert view["value"] == frame
    assert view.get("time", clock.pts_seconds[frame]) == clock.pts_seconds[frame]
    assert view.get("timestamp", clock.timestamps[frame]) == clock.timestamps[frame]


@pytest.mark.parametrize(
    "state",
    [
        {"playback_rate": 3.0},
        {"time": float("nan")},
        {"timestamp": float("inf")},
        {"view_width": -4},
        {"value": "x"},
        {"in_point": 80, "out_point": 10},
    ],
)
def test_invalid_state_from_the_view_is_refused(scrubber, monkeypatch, state) -> None:
    sent: list[dict] = []
    monkeypatch.setattr(scrubber, "_send", lambda msg, buffers=None: sent.append(msg))
    scrubber.value = 40
    before = {k: getattr(scrubber, k) for k in scrubber.keys}
    scrubber.set_state(state)  # logged, not raised into the comm
    assert {k: getattr(scrubber, k) for k in scrubber.keys} == before
    resent = {k for msg in sent if msg.get("method") == "update" for k in msg["state"]}
    assert set(state) <= resent  # the view is set back to the kernel's state


@pytest.mark.parametrize(
    ("msg", "seq"),
    [
        ({"type": ["frame"], "index": 3, "seq": 5}, 5),
        ({"type": "thumbs", "seq": 6}, 6),  # not a scrubber message
        ({"type": "frame", "index": float("inf"), "seq": 7}, 7),
        ({"type": "frame", "index": [3], "seq": 8}, 8),
        ({"type": "frame", "index": 3, "seq": 9, "offset_seconds": 10**400}, 9),
        ({"type": "frame", "index": 3, "seq": 10**400}, None),
        ({"type": "frame", "index": 3, "seq": float("inf")}, None),
        ({"type": "frame", "index": 3, "seq": [1]}, None),
        ({"type": "keyframes", "seq": "abc"}, None),
        ({"type": "prefetch", "seq": 2**53, "indices": [1]}, None),
        ({"type": "play", "seq": 11, "first": [0], "credit": 2}, 11),
        ({"type": "credit", "seq": 12, "n": float("inf")}, 12),
        ({"type": "stop", "seq": "x"}, None),
        (["frame", 3], None),
        ("frame", None),
        (None, None),
    ],
)
def test_every_malformed_message_gets_an_error_reply(scrubber, frontend, msg, seq) -> None:
    fe = frontend(scrubber)
    fe.request(msg)  # raises nothing into the comm
    errors = [c for c, _ in fe.sent if c["type"] == "error"]
    assert len(errors) == 1, fe.sent
    assert errors[0]["seq"] == seq and errors[0]["message"]


@pytest.mark.parametrize("index", [10**400, -(10**400), 2**63], ids=["1e400", "-1e400", "2**63"])
def test_huge_frame_index_is_clamped(scrubber, frontend, jpeg_code, index) -> None:
    fe = frontend(scrubber)
    fe.request({"type": "frame", "index": index, "seq": 3})
    reply, buffers = fe.wait_for(3)
    expected = 89 if index > 0 else 0
    assert reply["type"] == "frame" and reply["index"] == expected
    assert jpeg_code(buffers[0]) == expected


def test_filmstrip_clamps_a_frame_index_from_the_view(scrubber) -> None:
    strip = wb.Filmstrip(scrubber, count=4)
    try:
        strip.set_state({"value": 10**400})
        assert strip.value == scrubber.value == 89
        assert scrubber.time == scrubber.source.clock.pts_seconds[89]
        strip.set_state({"value": 30})
        assert scrubber.value == 30
    finally:
        strip.close()
