"""Drive a private JupyterLab with headless Chromium (used by the browser tests and benchmarks).

:class:`JupyterLab` starts ``jupyter lab`` on 127.0.0.1 at a free port with a random
token, an empty temporary root, isolated config/settings/runtime folders and every
network feature off (news, update checks, the PyPI extension manager).
:func:`launch_chromium` starts Debian's Chromium through Playwright.
:class:`Notebook` opens a notebook written with nbformat, runs it and reads widget pixels;
:func:`notebook_page` writes, opens and runs one in a page of its own (once for a whole
test module: :func:`module_notebook`), :func:`kernel` reads a value back from its kernel
and :func:`video_code` is the cell code that makes the tests' sample video.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
]


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class JupyterLab:
    """A JupyterLab server private to one test session.

    Parameters
    ----------
    root
        Empty folder: notebooks are written here, ``config/`` etc. beside it.
    low_latency
        Use :class:`workbench.widgets.server.LowLatencyWebsocketConnection` (kernel
        websockets with ``TCP_NODELAY``) instead of Jupyter Server's default.
    """

    def __init__(self, root: Path, *, low_latency: bool = True) -> None:
        self.root = Path(root)
        self.low_latency = low_latency
        self.home = self.root.parent / (self.root.name + "-jupyter")
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.home / "server.log"

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> JupyterLab:
        """Start the server and wait until its API answers."""
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.home / "config"
        (config / "labconfig").mkdir(parents=True, exist_ok=True)
        # no news/announcement toast, no update check
        (config / "labconfig" / "page_config.json").write_text(
            json.dumps(
                {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
            )
        )
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(self.home / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"),
            IPYTHONDIR=str(self.home / "ipython"),
            PYTHONUNBUFFERED="1",
        )
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.open_browser=False",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.terminals_enabled=False",
            "--ServerApp.allow_root=True",
        ]
        if self.low_latency:
            from workbench.widgets.server import CONNECTION_CLASS

            cmd.append(f"--ServerApp.kernel_websocket_connection_class={CONNECTION_CLASS}")
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(
                    f"{self.url}/api/status?token={self.token}", timeout=2
                ) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"jupyter lab did not start in {timeout} s: {self.log_path}")

    def stop(self) -> None:
        """Stop the server (and its kernels)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        with contextlib.suppress(Exception):
            self.log.close()

    def write_notebook(self, name: str, cells: Sequence[str]) -> Path:
        """Write a notebook of code ``cells`` into the root and return its path."""
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        path = self.root / name
        nbformat.write(nb, path)
        return path

    def lab_url(self, name: str) -> str:
        """URL that opens notebook ``name`` in JupyterLab."""
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"


@contextlib.contextmanager
def launch_chromium() -> Iterator[Any]:
    """Yield a Playwright ``Browser`` running headless Debian Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Notebook:
    """One notebook open in a browser page."""

    def __init__(self, page: Any, lab: JupyterLab, name: str) -> None:
        self.page = page
        self.lab = lab
        self.name = name

    def open(self, timeout_ms: float = 90_000) -> Notebook:
        """Load JupyterLab on the notebook and wait for its kernel to be idle."""
        self.page.goto(self.lab.lab_url(self.name), timeout=timeout_ms)
        self.page.wait_for_selector(".jp-Notebook", timeout=timeout_ms)
        self.page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell.currentWidget &&"
            " window.jupyterapp.shell.currentWidget.sessionContext &&"
            " window.jupyterapp.shell.currentWidget.sessionContext.session &&"
            " window.jupyterapp.shell.currentWidget.sessionContext.session.kernel &&"
            " window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
            " === 'idle'",
            timeout=timeout_ms,
        )
        return self

    def run_all(self, timeout_ms: float = 120_000) -> None:
        """Run every cell and wait until the kernel is idle again with all cells done."""
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_function(
            "() => { const nb = window.jupyterapp.shell.currentWidget.content;"
            " const cells = nb.widgets.filter(c => c.model.type === 'code');"
            " return cells.every(c => c.model.executionCount !== null &&"
            " !c.node.querySelector('.jp-InputPrompt').textContent.includes('*')); }",
            timeout=timeout_ms,
        )

    def errors(self) -> list[str]:
        """Text of every error output in the notebook."""
        return self.page.eval_on_selector_all(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'],"
            " .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']",
            "els => els.map(e => e.textContent)",
        )

    def run_code(self, code: str, timeout_ms: float = 60_000) -> str:
        """Run ``code`` in the notebook's kernel (not shown) and return its stdout."""
        script = """async (code) => {
          const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
          const future = kernel.requestExecute({code, silent: false, store_history: false});
          let out = "";
          future.onIOPub = (msg) => {
            if (msg.header.msg_type === "stream") out += msg.content.text;
            if (msg.header.msg_type === "error") out += "ERROR " + msg.content.ename
                + ": " + msg.content.evalue;
          };
          await future.done;
          return out;
        }"""
        return self.page.evaluate(script, code)

    def canvas_rgb(self, selector: str) -> np.ndarray:
        """Return the pixels of a canvas as an ``(H, W, 3)`` uint8 array."""
        from PIL import Image

        url = self.page.eval_on_selector(selector, "c => c.toDataURL('image/png')")
        data = base64.b64decode(url.split(",", 1)[1])
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def video_code(name: str, *, frames: int, gop: int = 15) -> str:
    """Notebook code making the browser tests' sample video ``media/<name>`` (320x180,
    30 fps, a keyframe every ``gop`` frames) as ``video``; the cell imports ``wb`` first."""
    return (
        "from pathlib import Path\n"
        f"video = wb.samples.make_video(Path('media') / {name!r}, size=(320, 180), fps=30,"
        f" frames={frames}, gop={gop})"
    )


@contextlib.contextmanager
def notebook_page(
    lab: JupyterLab,
    browser: Any,
    name: str,
    cells: list[str],
    *,
    debug: bool = False,
    ready: Mapping[str, float] | None = None,
) -> Iterator[Notebook]:
    """Write notebook ``name``, open it in a new page and run it; close the page after.

    ``debug`` switches on every scrubber's statistics (``window.__workbench_stats``);
    ``ready`` maps selectors to wait for, in order, to their timeouts (ms).
    """
    lab.write_notebook(name, cells)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    if debug:
        page.add_init_script("window.__workbench_debug = true")
    try:
        notebook = Notebook(page, lab, name).open()
        notebook.run_all()
        for selector, timeout_ms in (ready or {}).items():
            page.wait_for_selector(selector, timeout=timeout_ms)
        yield notebook
    finally:
        page.close()


def module_notebook(
    name: str, cells: list[str], *, ready: Mapping[str, float], debug: bool = False
) -> Any:
    """A module-scoped pytest fixture: notebook ``name`` opened and run once (see
    :func:`notebook_page`) for all the tests of the module that assigns it to a name."""
    import pytest

    @pytest.fixture(scope="module")
    def fixture(lab: JupyterLab, browser: Any) -> Iterator[Notebook]:
        with notebook_page(lab, browser, name, cells, debug=debug, ready=ready) as notebook:
            yield notebook

    return fixture


def kernel(nb: Notebook, expr: str) -> Any:
    """The value of the Python expression ``expr`` in the notebook's kernel, through JSON;
    an error in the kernel fails the test with its message."""
    out = nb.run_code(f"import json; print(json.dumps({expr}))").strip()
    assert not out.startswith("ERROR"), out
    return json.loads(out)
