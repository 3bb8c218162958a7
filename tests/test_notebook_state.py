"""The widget state stored in the tutorials carries the current front ends.

JupyterLab restores a notebook's stored widget state when it is opened, before any cell
runs; a stale copy of a widget's ESM would show readers an old front end. The copies are
of the bundles (``workbench/_frontend/``, built from ``widgets/`` by ``npm run build``).
Re-run the notebook with ``scripts/refresh_notebooks.py`` when this fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench._assets import frontend_dir

ROOT = Path(__file__).resolve().parents[1]
FRONT_ENDS = {p.read_text() for p in frontend_dir().glob("*.js")}
STYLES = {p.read_text() for p in frontend_dir().glob("*.css")}
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_widget_front_ends_are_current(path: Path) -> None:
    metadata = json.loads(path.read_text())["metadata"]
    state = metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    for model_id, model in state.get("state", {}).items():
        esm = model.get("state", {}).get("_esm")
        css = model.get("state", {}).get("_css")
        assert esm is None or esm in FRONT_ENDS, (
            f"{path.name}: widget {model_id} stores an old front end; "
            f"run .venv/bin/python scripts/refresh_notebooks.py {path.relative_to(ROOT)}"
        )
        assert not css or css in STYLES, f"{path.name}: widget {model_id} stores old CSS"
