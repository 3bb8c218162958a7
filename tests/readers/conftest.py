"""Small videos shared by the reader tests (encoded once per session)."""

from __future__ import annotations

import pytest

import workbench as wb
from workbench.samples import make_video


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    """A 4 s 30 fps h264 video with B-frames and 1 s GOPs, and its own index cache."""
    root = tmp_path_factory.mktemp("readers-media")
    video = make_video(root / "cam.mp4", size=(192, 108), fps=30, frames=120, gop=30, bframes=2)
    return {"root": root, "video": video, "cache": root / "index-cache"}


@pytest.fixture
def read_media(media):
    """``wb.read`` of the shared video with its own index cache: pass only the options."""

    def read(**options):
        return wb.read(media["video"], cache=media["cache"], **options)

    return read
