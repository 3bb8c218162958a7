"""Helpers shared by the stored-stream tests (moto server, buckets)."""

from __future__ import annotations

import contextlib
import socket

# the moto server helpers are shared with the other test folders (tests/s3_support.py)
from s3_support import free_port, make_bucket, start_moto

__all__ = ["S3Calls", "TcpProxy", "free_port", "make_bucket", "overwrite_object", "start_moto"]


class S3Calls:
    """Counts the S3 requests (and GetObject bytes) an s3fs filesystem sends.

    Uses botocore's event hooks on the filesystem's own client: nothing is mocked, the
    requests really go to the server. ``on_get`` (optional) runs before each GetObject
    is sent, with the running count, e.g. to overwrite the object or stop the server.
    """

    def __init__(self, fs: object, on_get: object = None) -> None:
        self.requests: dict[str, int] = {}
        self.get_bytes = 0
        self.on_get = on_get
        fs.connect()  # type: ignore[attr-defined]  # make sure the client exists
        events = fs.s3.meta.events  # type: ignore[attr-defined]
        events.register("before-call.s3", self._before)
        events.register("after-call.s3.GetObject", self._after_get)
        self._events = events

    def _before(self, model: object, **kwargs: object) -> None:
        name = model.name  # type: ignore[attr-defined]
        self.requests[name] = self.requests.get(name, 0) + 1
        if name == "GetObject" and self.on_get is not None:
            self.on_get(self.requests[name])  # type: ignore[operator]

    def _after_get(self, parsed: dict, **kwargs: object) -> None:
        self.get_bytes += int(parsed.get("ContentLength") or 0)

    @property
    def gets(self) -> int:
        return self.requests.get("GetObject", 0)

    def reset(self) -> None:
        self.requests.clear()
        self.get_bytes = 0

    def close(self) -> None:
        self._events.unregister("before-call.s3", self._before)
        self._events.unregister("after-call.s3.GetObject", self._after_get)


def overwrite_object(endpoint: str, bucket: str, key: str, data: bytes) -> None:
    """Replace an object with a plain boto3 client (outside s3fs's event loop)."""
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.put_object(Bucket=bucket, Key=key, Body=data)


class TcpProxy:
    """A TCP relay on 127.0.0.1 in front of a server; ``stop()`` is a network outage.

    Stopping closes the listening socket *and* every open connection (a stopped
    werkzeug server would keep serving its keep-alive connections), so clients see
    resets and refused connections, as when a real server goes away mid-read.
    """

    def __init__(self, target_port: int) -> None:
        import threading

        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        import threading

        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self.stopped = True
        with contextlib.suppress(OSError):  # wakes the accept() blocked in its thread
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
