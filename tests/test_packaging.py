"""The package installs as designed: front-end files and notebooks are found both from
the source tree (editable install) and from a built wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import workbench
from workbench._assets import frontend_dir, frontend_file
from workbench.errors import SourceNotFoundError

REPO = Path(__file__).resolve().parents[1]


def test_editable_install_reads_widgets_from_source_tree():
    assert Path(workbench.__file__).resolve().parent == REPO / "workbench"
    assert frontend_dir() == REPO / "widgets"
    assert frontend_file("README.md").read_text().startswith("# Front-end")


def test_missing_frontend_file_names_it_and_lists_what_exists():
    with pytest.raises(SourceNotFoundError, match=r"no-such\.js") as info:
        frontend_file("no-such.js")
    assert "README.md" in str(info.value)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("workbench-*.whl")
    return path


def test_wheel_carries_frontend_and_notebooks(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    frontend = {Path(n).name for n in names if n.startswith("workbench/_frontend/")}
    source = {p.name for p in (REPO / "widgets").iterdir() if p.is_file()}
    assert source <= frontend
    assert "workbench/_notebooks/01_quickstart.ipynb" in names
    assert not any(n.startswith("widgets/") for n in names)


def test_wheel_install_finds_frontend_in_package(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import workbench; from workbench._assets import frontend_file;"
        "print(workbench.__file__); print(frontend_file('README.md'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(site)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert Path(out[0]).is_relative_to(site)
    assert Path(out[1]) == site / "workbench" / "_frontend" / "README.md"


def test_every_public_name_resolves_and_type_checkers_see_it() -> None:
    """The TYPE_CHECKING imports of workbench/__init__.py are the public names: each one
    resolves lazily at run time, and the package ships py.typed for type checkers."""
    import importlib.resources

    import workbench as wb

    # >= 30: the block was read (issue #12 moved the sample makers under wb.samples)
    assert len(wb._LAZY) >= 30 and set(wb._LAZY) <= set(dir(wb))
    for name, module in wb._LAZY.items():
        assert getattr(wb, name) is getattr(importlib.import_module(module), name), name
    assert importlib.resources.files("workbench").joinpath("py.typed").is_file()


def test_sample_makers_live_under_samples_and_old_names_warn() -> None:
    """``wb.samples`` needs no import of its own; the old top-level names still work and
    warn with a WorkbenchDeprecationWarning that names the new place."""
    import workbench as wb
    from workbench import samples

    assert wb.samples is samples
    for name in ("make_video", "read_frame_code", "make_edit_list_cut", "make_sample_database"):
        assert name not in dir(wb)
        with pytest.warns(wb.WorkbenchDeprecationWarning, match=f"workbench.samples.{name}"):
            assert getattr(wb, name) is getattr(samples, name)
