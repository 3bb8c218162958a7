"""A script that made widgets exits: closing them never blocks at interpreter shutdown.

At exit ipywidgets closes every widget from ``__del__``; the scrubber's ``close`` closes
its video, whose lock a frame-server thread stopped by the shutdown could still hold.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import workbench
from workbench.samples import make_video

ROOT = Path(workbench.__file__).resolve().parents[1]

#: Generous: the script takes about two seconds; a hang never ends.
EXIT_TIMEOUT_SECONDS = 120

SCRIPT = """\
import workbench as wb
from workbench.samples import make_video

video = make_video("clip.mp4", size=(640, 360), fps=30, frames=150, gop=5)
scrubber = wb.VideoScrubber(video)
panel = wb.ExportPanel(scrubber, out_dir="exported")
print("made", scrubber.num_frames, panel.estimate_frames, flush=True)
"""


def test_script_with_scrubber_and_export_panel_exits(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(SCRIPT)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "WORKBENCH_CACHE": str(tmp_path / "cache"),
        "PYTHONFAULTHANDLER": "1",
    }
    try:
        done = subprocess.run(
            [sys.executable, "script.py"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=EXIT_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the script did not exit: {exc.stdout!r} {exc.stderr!r}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("made 150 "), done.stdout


def test_video_close_at_exit_does_not_wait_for_a_stopped_thread(
    tmp_path: Path, monkeypatch
) -> None:
    """During interpreter shutdown a daemon thread stopped while decoding keeps the video's
    lock forever: close() then marks the video closed instead of waiting for it."""
    video = workbench.open_video(
        make_video(tmp_path / "clip.mp4", size=(64, 48), frames=10), cache=False
    )
    holding, release = threading.Event(), threading.Event()

    def decoding_thread() -> None:  # stands in for a frame server stopped mid-decode
        with video._lock:
            holding.set()
            release.wait(60)

    thread = threading.Thread(target=decoding_thread, daemon=True)
    thread.start()
    assert holding.wait(30)
    monkeypatch.setattr(sys, "is_finalizing", lambda: True)
    closer = threading.Thread(target=video.close, daemon=True)
    try:
        closer.start()
        closer.join(EXIT_TIMEOUT_SECONDS / 4)
        assert not closer.is_alive(), "Video.close waited for a lock held by a stopped thread"
        assert video._closed
    finally:
        release.set()
        thread.join()
        closer.join()
