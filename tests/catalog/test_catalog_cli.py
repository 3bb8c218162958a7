from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli import main


def test_catalog_build_and_query(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = dataset.parent / "cat.db"
    assert main(["catalog", "build", str(dataset), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "added=7" in out and str(db) in out

    assert (
        main(
            [
                "catalog",
                "query",
                str(db),
                "--tags",
                "camera,front",
                "--between",
                "1489728491",
                "1489728500",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "016_0001" in out and "016_0002" not in out and "1 streams" in out

    assert (
        main(
            [
                "catalog",
                "query",
                str(db),
                "--content-type",
                "video/*",
                "--exclude-tags",
                "rear",
                "--format",
                "json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert sorted(r["contents"] for r in rows) == [
        "camera/front-center",
        "camera/front-center",
        "camera/raw",
        "clip",
    ]
    assert rows[0]["tags"] == ["camera", "front", "center"]

    assert (
        main(
            [
                "catalog",
                "query",
                str(db),
                "--any-tags",
                "gps,can",
                "--record-id",
                "016_*",
                "--limit",
                "1",
                "--format",
                "csv",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("id,record_id") and len(lines) == 2


def test_catalog_query_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", "query", str(tmp_path / "none.db")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: catalog") and "does not exist" in err
    assert not (tmp_path / "none.db").exists()
