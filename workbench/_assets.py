"""Locate the front-end files (bundled ESM + CSS) of the widgets.

anywidget loads one ES module per widget. Their sources are in the top-level
``widgets/`` folder of the source tree (modules that import each other); ``npm run
build`` bundles them with esbuild into ``workbench/_frontend/``, one ``<name>.js`` per
widget with its ``<name>.css`` beside it (see ``widgets/README.md``). The folder is
built, not committed: ``scripts/setup.sh`` builds it in a checkout, and the wheel's
build hook (``pyproject.toml``) builds it into the wheel, so an editable install, a
source checkout and an installed wheel all read the same place.

Examples
--------
>>> from workbench._assets import frontend_file
>>> frontend_file("scrubber.js").name
'scrubber.js'
"""

from __future__ import annotations

from pathlib import Path

from workbench.errors import SourceNotFoundError

#: Where the bundled front ends are: built there in a checkout, shipped there in a wheel.
FRONTEND_DIR: Path = Path(__file__).resolve().parent / "_frontend"

#: What to do when the bundles are missing.
_HOW_TO_BUILD = (
    "in a source checkout run `npm ci && npm run build` (scripts/setup.sh does it); "
    "otherwise reinstall workbench"
)


def frontend_dir() -> Path:
    """Return the folder that holds the widgets' bundled ESM and CSS files.

    Raises
    ------
    SourceNotFoundError
        If the folder does not exist (the front ends were not built).
    """
    if not FRONTEND_DIR.is_dir():
        raise SourceNotFoundError(
            f"workbench's widget front ends were not found in {FRONTEND_DIR}; {_HOW_TO_BUILD}"
        )
    return FRONTEND_DIR


def frontend_file(name: str) -> Path:
    """Return the path of one front-end file, e.g. ``"scrubber.js"``.

    Parameters
    ----------
    name
        File name inside the front-end folder.

    Raises
    ------
    SourceNotFoundError
        If the file is missing from the front-end folder.
    """
    path = frontend_dir() / name
    if not path.is_file():
        available = sorted(p.name for p in frontend_dir().iterdir())
        raise SourceNotFoundError(
            f"widget front-end file {name!r} not found in {path.parent} "
            f"(available: {available}); {_HOW_TO_BUILD}"
        )
    return path
