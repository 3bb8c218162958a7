"""Fixtures for the stored-stream tests: backends and media.

The moto S3 server (``aws_env``, ``s3_endpoint``) comes from ``tests/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streams_support import make_bucket

from workbench.streams.storage import FilesStorage


@pytest.fixture
def s3_storage(s3_endpoint: str) -> FilesStorage:
    """An S3 storage over a new, empty bucket."""
    return make_bucket(s3_endpoint)


@pytest.fixture(params=["posix", pytest.param("s3", marks=pytest.mark.s3)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> FilesStorage:
    """Each storage backend in turn, empty: the conformance suite runs against all."""
    if request.param == "posix":
        return FilesStorage("posix", root=tmp_path / "root")
    return make_bucket(request.getfixturevalue("s3_endpoint"))


@pytest.fixture(scope="session")
def sample_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 60-frame 160x96 H.264 MP4 (GOP 15) with each frame's index burnt in."""
    from workbench.samples import make_video

    folder = tmp_path_factory.mktemp("stream-media")
    return make_video(folder / "cam.mp4", size=(160, 96), frames=60, gop=15, fps=30)


@pytest.fixture(scope="session")
def other_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A different 40-frame video (another seed and size), for overwrite tests."""
    from workbench.samples import make_video

    folder = tmp_path_factory.mktemp("stream-media-2")
    return make_video(folder / "other.mp4", size=(192, 108), frames=40, gop=10, fps=25, seed=7)
