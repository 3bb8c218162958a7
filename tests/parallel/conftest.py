"""A real dask.distributed LocalCluster (2 worker processes on 127.0.0.1) and small media."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from workbench.samples import make_video


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Four 10 s 320x240 videos (one record each) and their catalog-like rows."""
    root = tmp_path_factory.mktemp("parallel-media")
    rows = []
    for i in range(4):
        path = make_video(
            root / f"r{i}" / "camera_01.mp4", size=(320, 240), fps=30, frames=300, gop=30
        )
        rows.append(
            {
                "record_id": f"r{i}",
                "path": str(path),
                "content_type": "video/mp4",
                "start_timestamp": 1_500_000_000.0 + 100 * i,
                "end_timestamp": 1_500_000_010.0 + 100 * i,
            }
        )
    return {"root": root, "rows": rows}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A Client on a LocalCluster: processes, 2 workers x 1 thread, loopback, 1 GiB each.

    A worker death counts at once (``allowed-failures`` 0): map_records retries itself.
    The index cache is set before the workers start, so they share it with the tests.
    """
    import dask
    from distributed import Client, LocalCluster

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_CACHE", str(tmp_path_factory.mktemp("wb-cache")))
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            cluster = LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
                memory_limit="1GiB",
            )
        c = Client(cluster, set_as_default=False)
        try:
            yield c
        finally:
            c.close()
            cluster.close()


@pytest.fixture
def cluster(client):
    """The module's client, with both workers up (a test before may have killed one)."""
    client.wait_for_workers(2, timeout=60)
    return client
