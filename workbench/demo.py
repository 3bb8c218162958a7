"""The demo: a sample driving database opened in JupyterLab.

``workbench demo`` builds the sample database once (it is reused afterwards) and starts
JupyterLab on the tutorial notebooks, opened on the quickstart. The notebooks find the
data through :func:`demo_database`, so they work the same from the demo, from the test
suite and on Binder.

Examples
--------
>>> from workbench.demo import demo_data_dir
>>> demo_data_dir("/tmp/wb-demo").name
'wb-demo'
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from filelock import FileLock

from workbench.errors import InvalidArgumentError, SourceNotFoundError

#: environment variables the demo and the notebooks honour
ENV_DATA = "WORKBENCH_DEMO_DATA"
ENV_RECORDS = "WORKBENCH_DEMO_RECORDS"
ENV_DURATION = "WORKBENCH_DEMO_DURATION"

#: written last by :func:`demo_database`; its presence means the database is complete
COMPLETE_MARKER = ".complete"
QUICKSTART = "01_quickstart.ipynb"
#: JupyterLab plugin that asks "Would you like to get notified about official Jupyter news?"
ANNOUNCEMENTS_PLUGIN = "@jupyterlab/apputils-extension:announcements"

_PACKAGE_DIR = Path(__file__).resolve().parent


def demo_data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder of the demo database.

    The first of: ``path``, the ``WORKBENCH_DEMO_DATA`` environment variable,
    ``~/.workbench/demo``.
    """
    chosen = path or os.environ.get(ENV_DATA) or Path.home() / ".workbench" / "demo"
    return Path(chosen).expanduser().resolve()


def _env_number(name: str, default: float, kind: type) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise InvalidArgumentError(
            f"environment variable {name}={raw!r} is not a {kind.__name__}; "
            f"unset it or give a positive number"
        ) from None
    if value <= 0:
        raise InvalidArgumentError(f"environment variable {name}={raw!r} must be positive")
    return value


def demo_database(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the demo database folder, building it first if it is absent or incomplete.

    The size follows ``WORKBENCH_DEMO_RECORDS`` (default 3) and
    ``WORKBENCH_DEMO_DURATION`` seconds (default 60). A file lock makes concurrent
    callers (several notebooks at once) build it once; a build that was interrupted is
    started again from scratch.

    Examples
    --------
    >>> root = demo_database()  # doctest: +SKIP
    >>> sorted(p.name for p in (root / "records").iterdir())  # doctest: +SKIP
    """
    root = demo_data_dir(path)
    root.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root) + ".lock"):
        if (root / COMPLETE_MARKER).exists():
            return root
        if root.exists():
            shutil.rmtree(root)
        from workbench.samples import make_sample_database

        records = int(_env_number(ENV_RECORDS, 3, int))
        duration = float(_env_number(ENV_DURATION, 60.0, float))
        print(
            f"building the sample driving database in {root} ({records} records of "
            f"{duration:g} s; done once, reused afterwards) ...",
            file=sys.stderr,
            flush=True,
        )
        make_sample_database(root, records=records, duration_seconds=duration, progress=True)
        (root / COMPLETE_MARKER).write_text("complete\n")
    return root


def notebooks_dir(data_dir: Path) -> Path:
    """Return the tutorial notebooks folder.

    A source checkout (or editable install) uses the repository's ``notebooks/``; an
    installed wheel copies its bundled notebooks next to the demo data once, so the
    user's edits are never overwritten.
    """
    source_tree = _PACKAGE_DIR.parent / "notebooks"
    if (source_tree / QUICKSTART).is_file():
        return source_tree
    bundled = _PACKAGE_DIR / "_notebooks"
    if not (bundled / QUICKSTART).is_file():
        raise SourceNotFoundError(
            f"the tutorial notebooks were not found in {source_tree} or {bundled}; "
            "reinstall workbench"
        )
    target = data_dir.parent / "notebooks"
    if not target.exists():
        shutil.copytree(bundled, target)
    return target


def jupyterlab_command(notebooks: Path, *, port: int, open_browser: bool) -> list[str]:
    """Return the command line that starts JupyterLab on the quickstart notebook.

    The demo is a local, single-user server, so it uses
    :class:`workbench.widgets.server.LowLatencyWebsocketConnection` (see there why).
    """
    from workbench.widgets.server import CONNECTION_CLASS

    return [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={notebooks}",
        f"--ServerApp.port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.open_browser={open_browser}",
        f"--LabApp.default_url=/lab/tree/{QUICKSTART}",
        # no news popup, no update check (the page config below also disables the plugin)
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # kernel websockets with TCP_NODELAY: ~40 ms less per widget round trip
        f"--ServerApp.kernel_websocket_connection_class={CONNECTION_CLASS}",
        # JupyterLab refuses to start as root without this; the set-up commands run as root
        *(["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []),
    ]


def quiet_lab_config(folder: Path) -> Path:
    """Write a JupyterLab config folder that disables the news announcements; return it.

    The folder goes on ``JUPYTER_CONFIG_PATH`` (not ``JUPYTER_CONFIG_DIR``), so the
    user's own JupyterLab settings still apply.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = quiet_lab_config(pathlib.Path(tempfile.mkdtemp()))
    >>> (d / "labconfig" / "page_config.json").is_file()
    True
    """
    labconfig = folder / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {ANNOUNCEMENTS_PLUGIN: True}}) + "\n"
    )
    return folder


def run_demo(
    *, data_dir: str | os.PathLike[str] | None = None, port: int = 8888, open_browser: bool = True
) -> int:
    """Build the demo database if needed and run JupyterLab until it is stopped.

    On POSIX the process becomes JupyterLab (``exec``), so that a signal that stops the
    demo (Ctrl+C, ``kill``, a test's ``terminate()``) reaches the server itself and no
    orphaned server is left behind. Elsewhere JupyterLab runs as a child and its exit
    code is returned.
    """
    if not 0 < port < 65536:
        raise InvalidArgumentError(f"port {port} is not between 1 and 65535")
    root = demo_database(data_dir)
    notebooks = notebooks_dir(root)
    print(f"sample driving database: {root}", flush=True)
    print(f"notebooks: {notebooks}", flush=True)
    env = {**os.environ, ENV_DATA: str(root)}
    config = quiet_lab_config(root.parent / f".{root.name}-jupyter-config")
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (str(config), os.environ.get("JUPYTER_CONFIG_PATH", "")) if p
    )
    command = jupyterlab_command(notebooks, port=port, open_browser=open_browser)
    if os.name == "posix":
        sys.stdout.flush()
        os.execve(command[0], command, env)
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 0
