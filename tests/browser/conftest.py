"""Browser fixtures: one JupyterLab and one headless Chromium for the whole session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from jlab import CHROMIUM, JupyterLab, launch_chromium


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """A JupyterLab on 127.0.0.1 (free port, random token, empty temp root, no network)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    pytest.importorskip("playwright")
    server = JupyterLab(tmp_path_factory.mktemp("lab") / "root").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(lab: JupyterLab) -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright."""
    with launch_chromium() as b:
        yield b
