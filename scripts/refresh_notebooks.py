"""Re-run tutorial notebooks in place, so their stored outputs and widget state are current.

The stored widget state carries a copy of each widget's front end (``_esm``/``_css``: the
bundles in ``workbench/_frontend/``, built from ``widgets/`` by ``npm run build``);
``tests/test_notebook_state.py`` fails when it no longer matches them. Build the bundles,
then run this (from the repository root, with the test-size demo database the suite
uses)::

    .venv/bin/python scripts/refresh_notebooks.py [notebooks/04_scrub_and_export.ipynb ...]

Without arguments every notebook that stores widget state is re-run.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def has_widget_state(path: Path) -> bool:
    """True when the notebook stores widget state in its metadata."""
    return "widgets" in nbformat.read(path, as_version=4).metadata


def refresh(path: Path) -> None:
    """Execute ``path`` in its own folder and write it back with fresh outputs."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nbformat.write(nb, path)


def main(argv: list[str]) -> int:
    stored = [p for p in sorted(NOTEBOOKS.glob("*.ipynb")) if has_widget_state(p)]
    paths = [Path(a) for a in argv] or stored
    with tempfile.TemporaryDirectory(prefix="workbench-notebooks-") as data:
        os.environ.setdefault("WORKBENCH_DEMO_DATA", data)
        os.environ.setdefault("WORKBENCH_DEMO_RECORDS", "2")
        os.environ.setdefault("WORKBENCH_DEMO_DURATION", "20")
        for path in paths:
            refresh(path)
            print("refreshed", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
