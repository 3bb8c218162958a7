"""The package installs as designed: the widgets' bundled front ends and the notebooks
are found both from the source tree (editable install, bundles built by `npm run build`)
and from a built wheel (bundles built by the wheel's build hook)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import workbench
from workbench._assets import frontend_dir, frontend_file
from workbench.errors import SourceNotFoundError

REPO = Path(__file__).resolve().parents[1]
#: One bundled ES module and one stylesheet per widget front end.
WIDGETS = sorted(p.stem for p in (REPO / "widgets").glob("*.css"))
BUNDLES = {f"{name}{ext}" for name in WIDGETS for ext in (".js", ".css")}


def test_editable_install_reads_bundles_built_in_source_tree():
    assert Path(workbench.__file__).resolve().parent == REPO / "workbench"
    assert frontend_dir() == REPO / "workbench" / "_frontend"
    assert len(WIDGETS) == 7
    assert {p.name for p in frontend_dir().iterdir()} >= BUNDLES
    # a bundle stands alone (anywidget loads one ES module per widget): the modules it
    # is made of are inside, none is imported
    scrubber = frontend_file("scrubber.js").read_text()
    assert "// widgets/scrubber/request_queue.js" in scrubber
    assert not re.search(r"^\s*import\b", scrubber, re.MULTILINE)


def test_missing_frontend_file_names_it_and_lists_what_exists():
    with pytest.raises(SourceNotFoundError, match=r"no-such\.js") as info:
        frontend_file("no-such.js")
    assert "scrubber.js" in str(info.value) and "npm run build" in str(info.value)


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


def test_wheel_carries_bundles_and_notebooks(wheel):
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    frontend = {Path(n).name for n in names if n.startswith("workbench/_frontend/")}
    assert frontend == BUNDLES  # the bundles only, not their sources
    for name in BUNDLES:
        assert archive.read(f"workbench/_frontend/{name}") == frontend_file(name).read_bytes()
    assert "workbench/_notebooks/01_quickstart.ipynb" in names
    assert not any(n.startswith("widgets/") for n in names)


def test_wheel_install_finds_frontend_in_package(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import workbench; from workbench._assets import frontend_file;"
        "print(workbench.__file__); print(frontend_file('scrubber.js'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(site)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert Path(out[0]).is_relative_to(site)
    assert Path(out[1]) == site / "workbench" / "_frontend" / "scrubber.js"


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
