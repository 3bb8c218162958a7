"""End to end on a tiny sample database: the CLI, and video frames lining up with CAN."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import workbench as wb
from workbench.cli import main
from workbench.errors import WorkbenchDeprecationWarning


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    root = wb.samples.make_sample_database(
        tmp_path_factory.mktemp("cli-db") / "db",
        records=1,
        duration_seconds=3,
        cameras=("front-center", "rear"),
        size=(160, 96),
        workers=1,
    )
    wb.build_catalog(root).close()
    return root


def _export_front_frames(catalog: Path, out: Path, *, old_spellings: bool = False) -> int:
    """``workbench export frames`` of the front cameras at 2 fps and half size into ``out``
    (with the deprecated ``--fps/--scale`` flags when ``old_spellings``)."""
    rate = ["--target-frame-rate", "2", "--resize-rate", "0.5"]
    if old_spellings:
        rate = ["--fps", "2", "--scale", "0.5"]
    options = ["--tags", "camera,front", *rate, "--no-progress"]
    return main(["export", "frames", str(catalog), *options, "--out", str(out)])


def test_cli_export_frames_from_catalog(db, tmp_path, capsys):
    out = tmp_path / "dump"
    code = _export_front_frames(db / "catalog.db", out)
    assert code == 0
    files = sorted(out.glob("*.jpg"))
    assert len(files) == 6
    assert "written=6" in capsys.readouterr().out
    # the old spellings still work (with a warning each) and mean the same: nothing to redo
    with pytest.warns(WorkbenchDeprecationWarning) as warned:
        again = _export_front_frames(db, out, old_spellings=True)
    assert again == 0 and "written=0, skipped=6" in capsys.readouterr().out
    assert [str(w.message) for w in warned if w.category is WorkbenchDeprecationWarning] == [
        "workbench: --fps is deprecated, use --target-frame-rate (same meaning)",
        "workbench: --scale is deprecated, use --resize-rate (same meaning)",
    ]


def test_cli_export_clip_and_errors(db, tmp_path, capsys):
    video = next(db.glob("records/*/data/camera_01.mp4"))
    start = wb.read(video).extent()[0]
    out = tmp_path / "clip.mp4"
    code = main(
        [
            "export",
            "clip",
            str(video),
            str(out),
            "--start",
            str(start + 1),
            "--end",
            str(start + 2),
            "--no-progress",
        ]
    )
    assert code == 0 and out.exists() and "30 frames" in capsys.readouterr().out
    code = main(
        ["export", "clip", str(video), str(tmp_path / "x.mp4"), "--start", "5", "--end", "1"]
    )
    assert code == 2 and "before end" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists()


def test_video_frames_and_can_samples_share_the_time_axis(db):
    cat = wb.open_catalog(db / "catalog.db")
    cam = next(iter(cat.select(tags=["camera", "front"], content_type="video/*")))
    can = next(iter(cat.select(tags=["can"])))
    t0 = cam.start_timestamp
    frames = wb.read(cam, start=t0, end=t0 + 2, target_frame_rate=2).read_all()
    series = wb.read(can, start=t0, end=t0 + 2, target_frame_rate=2).read_all()
    assert len(frames) == len(series) == 4
    np.testing.assert_allclose(frames.timestamps, series.timestamps, atol=1 / 30)
    assert frames.timestamps[0] == pytest.approx(t0)


# ---- the demo and the sample build, as a new user meets them -------------------------------
def test_demo_database_says_what_it_builds_and_shows_progress(tmp_path, monkeypatch, capsys):
    from workbench import demo

    monkeypatch.setenv(demo.ENV_DATA, str(tmp_path / "demo"))
    monkeypatch.setenv(demo.ENV_RECORDS, "1")
    monkeypatch.setenv(demo.ENV_DURATION, "0.5")
    demo.demo_database()
    err = capsys.readouterr().err
    assert "building the sample driving database" in err and "sample videos" in err
    demo.demo_database()  # built: silent
    assert capsys.readouterr().err == ""


def test_demo_turns_off_jupyterlab_news(tmp_path, monkeypatch):
    import json

    from workbench import demo

    seen = {}

    def fake_exec(path, argv, env):
        seen.update(argv=argv, env=env)
        raise SystemExit(0)

    monkeypatch.setattr(demo, "demo_database", lambda path=None: tmp_path / "demo")
    monkeypatch.setattr(demo.os, "execve", fake_exec)
    monkeypatch.setattr(demo.subprocess, "call", lambda argv, env: fake_exec(None, argv, env))
    with pytest.raises(SystemExit):
        demo.run_demo(port=8899, open_browser=False)
    assert "--LabApp.news_url=None" in seen["argv"]
    assert any("NeverCheckForUpdate" in a for a in seen["argv"])
    config = seen["env"]["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0]
    page = json.loads((Path(config) / "labconfig" / "page_config.json").read_text(encoding="utf-8"))
    assert page["disabledExtensions"][demo.ANNOUNCEMENTS_PLUGIN] is True


def test_sample_worker_failure_is_typed_and_leaves_no_record(tmp_path, monkeypatch):
    from workbench.errors import WorkbenchError
    from workbench.samples import database

    monkeypatch.setattr(database, "_WORKER_CODE", "import sys; sys.exit('encoder died')")
    with pytest.raises(WorkbenchError, match="encoder died"):
        wb.samples.make_sample_database(
            tmp_path, records=1, duration_seconds=0.5, size=(160, 96), workers=2
        )
    assert list((tmp_path / "records").iterdir()) == []
