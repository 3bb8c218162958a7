"""The README's tour saved as a script (no ``if __name__ == "__main__":``) must not hang.

The sample-database build used to encode in a ``multiprocessing`` pool; under spawn each
worker re-imported the user's script, called ``demo_database()`` again and waited forever
on the file lock its parent held.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TOUR = """\
import workbench as wb
from workbench.demo import demo_database

root = demo_database()
cat = wb.build_catalog(root)
sel = cat.select(tags=["camera"], content_type="video/*")
result = wb.export_frames(sel, "dump/", target_frame_rate=2, resize_rate=0.25, progress=False)
print("written", result.written, "failed", len(result.failed))
"""


@pytest.mark.slow
def test_tour_script_without_main_guard_finishes(tmp_path: Path) -> None:
    script = tmp_path / "tour.py"
    script.write_text(TOUR)
    home = tmp_path / "home"
    home.mkdir()
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "HOME": str(home),
        "WORKBENCH_DEMO_DATA": str(tmp_path / "demo"),
        "WORKBENCH_DEMO_RECORDS": "1",
        "WORKBENCH_DEMO_DURATION": "1",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    try:
        proc = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the script hung (a worker re-ran it?):\n{exc.stderr}")
    assert proc.returncode == 0, proc.stderr
    # two cameras, 1 s at 2 frames/s each: the default names do not collide
    assert "written 4 failed 0" in proc.stdout, proc.stdout + proc.stderr
    assert "building the sample driving database" in proc.stderr
    assert len(list((tmp_path / "dump").rglob("*.jpg"))) == 4
