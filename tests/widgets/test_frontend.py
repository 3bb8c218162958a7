"""The front ends' own checks, run from pytest so that their failures show in the one
report: the JSDoc types (``tsc`` with ``checkJs``), the unit tests of the scrubber's
frame store and request queue (``node --test``), and bundles built from the current
sources. They need node and the npm packages of ``package-lock.json`` (``npm ci``), which
``scripts/setup.sh`` installs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLES = REPO / "workbench" / "_frontend"


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules").is_dir():
        pytest.fail("node or the npm packages are missing: run `bash scripts/setup.sh test`")
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)


def test_jsdoc_types_check() -> None:
    tsc = "node_modules/typescript/bin/tsc"
    result = _run("node", tsc, "--noEmit", "-p", "widgets/jsconfig.json")
    assert result.returncode == 0, result.stdout + result.stderr


def test_frame_store_and_request_queue_unit_tests_pass() -> None:
    result = _run("node", "--test", "widgets/test/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout and "# pass 0" not in result.stdout


def test_bundles_are_built_from_the_current_sources(tmp_path: Path) -> None:
    result = _run("node", "widgets/build.mjs", str(tmp_path))
    assert result.returncode == 0, result.stderr
    built = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert {"scrubber.js", "scrubber.css", "timeline.js"} <= set(built)
    stale = [name for name, data in built.items() if (BUNDLES / name).read_bytes() != data]
    assert not stale, f"{stale} in {BUNDLES} are stale: run `npm run build`"
