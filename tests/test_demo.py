"""The demo command: builds the sample database once and serves JupyterLab on it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from workbench import demo
from workbench.cli import main
from workbench.errors import InvalidArgumentError


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def small_demo_env(monkeypatch, tmp_path):
    monkeypatch.setenv(demo.ENV_DATA, str(tmp_path / "demo"))
    monkeypatch.setenv(demo.ENV_RECORDS, "1")
    monkeypatch.setenv(demo.ENV_DURATION, "2")
    return tmp_path / "demo"


def test_demo_database_is_built_once_and_reused(small_demo_env):
    root = demo.demo_database()
    assert root == small_demo_env.resolve()
    assert (root / demo.COMPLETE_MARKER).exists()
    videos = sorted(root.glob("records/*/data/*.mp4"))
    assert videos, "the sample database has no camera files"
    stamp = videos[0].stat().st_mtime_ns
    assert demo.demo_database() == root
    assert videos[0].stat().st_mtime_ns == stamp


def test_interrupted_build_is_started_again(small_demo_env):
    small_demo_env.mkdir(parents=True)
    (small_demo_env / "half-written.mp4").write_bytes(b"\0" * 10)
    root = demo.demo_database()
    assert not (root / "half-written.mp4").exists()
    assert (root / demo.COMPLETE_MARKER).exists()


def test_bad_size_variable_is_named(small_demo_env, monkeypatch):
    monkeypatch.setenv(demo.ENV_DURATION, "long")
    with pytest.raises(InvalidArgumentError, match=demo.ENV_DURATION):
        demo.demo_database()


def test_bad_port_is_refused_before_anything_is_built(tmp_path, capsys):
    assert main(["demo", "--dir", str(tmp_path / "d"), "--port", "70000", "--no-browser"]) == 2
    assert "70000" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_notebooks_come_from_the_source_tree(tmp_path):
    folder = demo.notebooks_dir(tmp_path / "demo")
    assert (folder / demo.QUICKSTART).is_file()


@pytest.mark.slow
def test_demo_command_serves_jupyterlab_with_the_database(small_demo_env):
    port = _free_port()
    env = {**os.environ, "JUPYTER_TOKEN": "wb-test-token"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "demo", "--port", str(port), "--no-browser"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/contents/{demo.QUICKSTART}?token=wb-test-token"
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as reply:
                    assert reply.status == 200
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not come up:\n{proc.stdout.read()}")
                time.sleep(0.5)
        assert (Path(small_demo_env) / demo.COMPLETE_MARKER).exists()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    # stopping the demo stopped the server too: nothing is left listening on the port
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "JupyterLab outlived the demo"


def test_demo_uses_low_latency_kernel_websockets(tmp_path):
    from workbench.widgets.server import CONNECTION_CLASS

    command = demo.jupyterlab_command(tmp_path, port=8888, open_browser=False)
    assert f"--ServerApp.kernel_websocket_connection_class={CONNECTION_CLASS}" in command
    assert f"--ServerApp.root_dir={tmp_path}" in command
