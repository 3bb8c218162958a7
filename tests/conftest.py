"""Fixtures shared by every test folder: a moto S3 server on 127.0.0.1.

This file also puts ``tests/`` on ``sys.path`` (pytest's rootdir-relative import), so
test folders can import the shared helpers in ``tests/s3_support.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from s3_support import AWS_TEST_ENV, start_moto


@pytest.fixture(scope="session")
def aws_env() -> Iterator[None]:
    """Dummy credentials so botocore never looks for real ones."""
    mp = pytest.MonkeyPatch()
    for name, value in AWS_TEST_ENV.items():
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
