"""Fixtures for the remote-source tests: a moto S3 server on 127.0.0.1 and a bucket that
holds a recording (a video with its dwtk sidecars, a CSV, a folder of images), next to a
local copy of the same files, so every remote result can be compared with the local one.
Helpers live in ``remote_support.py`` (a conftest cannot be imported by name).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "streams"))
from remote_support import AWS_ENV, MotoProcess, Remote, upload, write_recording
from streams_support import make_bucket, start_moto


@pytest.fixture(scope="session")
def aws_env() -> Iterator[None]:
    mp = pytest.MonkeyPatch()
    for name, value in AWS_ENV.items():
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


@pytest.fixture(autouse=True)
def _index_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path_factory.getbasetemp() / "wb-cache"))


@pytest.fixture(scope="session")
def recording(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The local copy of the recording."""
    return write_recording(tmp_path_factory.mktemp("remote-local"))


@pytest.fixture(scope="module")
def remote(s3_endpoint: str, recording: dict[str, Path]) -> Remote:
    """A fresh bucket holding the recording (same keys as the local copy's paths)."""
    storage = make_bucket(s3_endpoint)
    upload(storage, recording["root"])
    return Remote(storage, recording["root"])


@pytest.fixture
def moto_process(aws_env: None) -> Iterator[MotoProcess]:
    server = MotoProcess()
    server.start()
    yield server
    server.kill()
