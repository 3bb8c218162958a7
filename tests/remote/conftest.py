"""Fixtures for the remote-source tests: a bucket on the session's moto S3 server
(``s3_endpoint`` in ``tests/conftest.py``) that holds a recording (a video with its dwtk
sidecars, a CSV, a folder of images), next to a local copy of the same files, so every
remote result can be compared with the local one.
Helpers live in ``remote_support.py`` (a conftest cannot be imported by name).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remote_support import MotoProcess, Remote, upload, write_recording
from s3_support import make_bucket


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
