"""Locate the front-end files (ESM + CSS) of the widgets.

The files live in the top-level ``widgets/`` folder of the source tree. A built wheel
carries them as ``workbench/_frontend/`` (see ``pyproject.toml``); an editable install or
a source checkout reads them from ``widgets/`` beside the package.

Examples
--------
>>> from workbench._assets import frontend_file
>>> frontend_file("README.md").name
'README.md'
"""

from __future__ import annotations

from pathlib import Path

from workbench.errors import SourceNotFoundError

_PACKAGE_DIR = Path(__file__).resolve().parent

#: Where the front-end folder may be, the wheel's location first.
FRONTEND_DIRS: tuple[Path, ...] = (
    _PACKAGE_DIR / "_frontend",
    _PACKAGE_DIR.parent / "widgets",
)


def frontend_dir() -> Path:
    """Return the folder that holds the widgets' ESM and CSS files.

    Raises
    ------
    SourceNotFoundError
        If neither the wheel's ``_frontend`` folder nor the source tree's ``widgets``
        folder exists (a broken install: reinstall workbench).
    """
    for candidate in FRONTEND_DIRS:
        if candidate.is_dir():
            return candidate
    searched = ", ".join(str(p) for p in FRONTEND_DIRS)
    raise SourceNotFoundError(
        f"workbench's widget front-end files were not found (looked in {searched}); "
        "reinstall workbench"
    )


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
            f"widget front-end file {name!r} not found in {path.parent}; available: {available}"
        )
    return path
