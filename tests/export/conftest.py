"""Small videos shared by the export tests (encoded once per session)."""

from __future__ import annotations

import shutil

import pytest

from workbench.samples import make_video


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("export-media")
    a = make_video(
        root / "a" / "camera_01.mp4", size=(192, 108), fps=30, frames=90, gop=30, bframes=2
    )
    b = root / "b" / "camera_01.mp4"
    b.parent.mkdir()
    shutil.copy(a, b)
    return {"a": a, "b": b, "root": root}


@pytest.fixture(autouse=True)
def _index_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path_factory.getbasetemp() / "wb-cache"))
