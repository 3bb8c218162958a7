"""Fixtures for the stored-stream tests: a moto S3 server on 127.0.0.1, backends, media."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streams_support import make_bucket, start_moto

from workbench.streams.storage import FilesStorage


@pytest.fixture(scope="session")
def aws_env() -> Iterator[None]:
    """Dummy credentials so botocore never looks for real ones."""
    mp = pytest.MonkeyPatch()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        mp.setenv(name, value)
    mp.delenv("AWS_PROFILE", raising=False)
    mp.delenv("AWS_CONFIG_FILE", raising=False)
    yield
    mp.undo()


@pytest.fixture(scope="session")
def s3_endpoint(aws_env: None) -> Iterator[str]:
    """The endpoint_url of a moto S3 server running for the whole test session."""
    server, endpoint = start_moto()
    yield endpoint
    server.stop()  # type: ignore[attr-defined]


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
