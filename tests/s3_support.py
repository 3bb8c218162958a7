"""A moto S3 server on 127.0.0.1 for the tests of every layer (streams, catalog...).

The session fixtures ``aws_env`` and ``s3_endpoint`` (in ``tests/conftest.py``) use
these helpers; tests that need a server of their own (to stop it) call them directly.
"""

from __future__ import annotations

import logging
import socket
import uuid

from workbench.streams.storage import FilesStorage

#: dummy credentials, so botocore never looks for real ones
AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto() -> tuple[object, str]:
    """Start moto's S3 server on 127.0.0.1 and a free port; return (server, endpoint_url)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def make_bucket(endpoint: str, **kwargs: object) -> FilesStorage:
    """Create a fresh bucket on ``endpoint`` and return an S3 storage over it."""
    bucket = f"wb-{uuid.uuid4().hex[:12]}"
    storage = FilesStorage(
        "s3",
        bucket=bucket,
        endpoint_url=endpoint,
        retries=2,
        connect_timeout=1,
        read_timeout=5,
        **kwargs,
    )
    storage.fs.mkdir(bucket)
    return storage
