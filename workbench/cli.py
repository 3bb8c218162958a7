"""The ``workbench`` command line: a thin layer over the library.

Each subcommand has a ``_add_<name>`` function that declares its arguments and a
``_run_<name>`` function that calls the library. Keep the work in the library.

Examples
--------
.. code-block:: console

    $ workbench samples data/ --records 2 --duration 30
    $ workbench demo --no-browser
    $ workbench catalog build data/ && workbench catalog query data/catalog.db --tags camera
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchDeprecationWarning, WorkbenchError
from workbench.options import DEPRECATED_SPELLINGS

#: the columns ``catalog query`` prints as a table (the selection's, less the video sizes)
QUERY_COLUMNS = ["record_id", "contents", "content_type", "start_timestamp"]
QUERY_COLUMNS += ["end_timestamp", "tags", "path"]


def _add_samples(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("samples", help="build the synthetic sample driving database")
    p.add_argument("dir", type=Path, help="folder to create the database in")
    p.add_argument("--records", type=int, default=3, help="number of records (default 3)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds per record (default 60)")
    p.add_argument(
        "--cameras",
        default="front-center,rear",
        help="comma-separated camera names (default front-center,rear)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--size", type=_size, default=(1280, 720), help="video size WxH (default 1280x720)"
    )
    p.add_argument("--fps", type=float, default=30.0, help="video frame rate (default 30)")
    p.add_argument(
        "--workers", type=int, default=None, help="encoding processes (default: all cores)"
    )
    p.set_defaults(run=_run_samples)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 1280x720") from None
    return w, h


def _run_samples(args: argparse.Namespace) -> int:
    from workbench.samples import make_sample_database

    root = make_sample_database(
        args.dir,
        records=args.records,
        duration_seconds=args.duration,
        cameras=tuple(c.strip() for c in args.cameras.split(",") if c.strip()),
        seed=args.seed,
        size=args.size,
        fps=args.fps,
        workers=args.workers,
        progress=True,
    )
    print(f"sample database written to {root}")
    return 0


def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="build the sample database if absent and open JupyterLab on the notebooks"
    )
    p.add_argument("--dir", type=Path, default=None, help="sample data folder")
    p.add_argument("--port", type=int, default=8888, help="JupyterLab port (default 8888)")
    p.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    p.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from workbench.demo import run_demo

    return run_demo(data_dir=args.dir, port=args.port, open_browser=not args.no_browser)


def _add_catalog(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("catalog", help="build or query a catalog of recordings")
    csub = p.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    b = csub.add_parser("build", help="ingest a dataset folder (incremental on re-runs)")
    b.add_argument("dir", type=Path, help="dataset folder (dwtk layout or plain videos)")
    b.add_argument("--db", type=Path, default=None, help="catalog file (default DIR/catalog.db)")
    b.add_argument("--progress", action="store_true", help="show a progress bar")
    b.set_defaults(run=_run_catalog_build)
    q = csub.add_parser("query", help="select streams by tags, record id and time")
    q.add_argument("db", type=Path, help="catalog file")
    q.add_argument("--tags", default=None, help="comma-separated tags, all required")
    q.add_argument("--any-tags", default=None, help="comma-separated tags, any one suffices")
    q.add_argument("--exclude-tags", default=None, help="comma-separated tags to exclude")
    q.add_argument("--record-id", default=None, help="record id glob, e.g. '016_*'")
    q.add_argument("--content-type", default=None, help="content type glob, e.g. 'video/*'")
    q.add_argument(
        "--between",
        nargs=2,
        type=float,
        default=None,
        metavar=("T0", "T1"),
        help="absolute seconds: streams overlapping [T0, T1]",
    )
    q.add_argument("--limit", type=int, default=None, help="at most N streams")
    q.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="output format (default table)",
    )
    q.set_defaults(run=_run_catalog_query)


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def _run_catalog_build(args: argparse.Namespace) -> int:
    from workbench.catalog import build_catalog

    with build_catalog(args.dir, db=args.db, progress=args.progress) as cat:
        print(cat.last_report.summary() if cat.last_report else "")
        print(f"catalog written to {cat.path} ({len(cat)} streams)")
    return 0


def _run_catalog_query(args: argparse.Namespace) -> int:
    from workbench.catalog import open_catalog

    with open_catalog(args.db, readonly=True) as cat:
        sel = cat.select(
            tags=_split(args.tags),
            any_tags=_split(args.any_tags),
            exclude_tags=_split(args.exclude_tags),
            record_id=args.record_id,
            content_type=args.content_type,
            between=tuple(args.between) if args.between else None,
            limit=args.limit,
        )
    if args.format == "json":
        import json

        df = sel.df.astype(object)
        df = df.where(df.notna(), None)
        print(json.dumps(df.to_dict("records"), indent=1, default=str))
        return 0
    df = sel.df.copy()
    df["tags"] = df["tags"].map(",".join)
    if args.format == "csv":
        print(df.to_csv(index=False), end="")
    else:
        print(df[QUERY_COLUMNS].to_string(index=False) if len(df) else "(no streams)")
        print(f"{len(df)} streams")
    return 0


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export frames or clips (atomic, resumable)")
    esub = p.add_subparsers(dest="export_command", required=True, metavar="ACTION")
    f = esub.add_parser("frames", help="dump sampled frames of selected records as images")
    f.add_argument(
        "db", type=Path, help="catalog file (or dataset folder with catalog.db, or a video)"
    )
    f.add_argument("--out", type=Path, required=True, help="output folder")
    f.add_argument("--tags", default=None, help="comma-separated tags, all required")
    f.add_argument("--record-id", default=None, help="record id glob, e.g. '016_*'")
    f.add_argument("--content-type", default=None, help="content type glob, e.g. 'video/*'")
    _add_read_options(f, window_required=False)
    f.add_argument("--format", choices=("jpeg", "png", "webp"), default=None)
    f.add_argument("--quality", type=int, default=90, help="JPEG/WebP quality (default 90)")
    f.add_argument("--name", default=None, help="file name template")
    f.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    f.set_defaults(run=_run_export_frames)
    c = esub.add_parser("clip", help="cut [START, END) of a video into its own file")
    c.add_argument("src", type=Path, help="video file")
    c.add_argument("out", type=Path, help="clip to write (.mp4, .mov, .mkv)")
    _add_read_options(c, window_required=True)
    c.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    c.set_defaults(run=_run_export_clip)


class _OldSpelling(argparse.Action):
    """``--fps``/``--scale``: stored under the new option's name, with a deprecation warning."""

    def __call__(
        self, parser: Any, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        new = "--" + self.dest.replace("_", "-")
        warnings.warn(
            f"workbench: {option} is deprecated, use {new} (same meaning)",
            WorkbenchDeprecationWarning,
            stacklevel=2,
        )
        setattr(namespace, self.dest, values)


#: the read options an export takes on the command line (ReadOptions' names)
_READ_FLAGS = ("start", "end", "target_frame_rate", "resize_rate")


def _add_read_options(p: argparse.ArgumentParser, *, window_required: bool) -> None:
    """The read options of an export, in the words of ``wb.read`` (``--fps`` and
    ``--scale`` still work, deprecated)."""
    p.add_argument(
        "--start", type=float, default=None, required=window_required, help="absolute start (s)"
    )
    p.add_argument(
        "--end", type=float, default=None, required=window_required, help="absolute end (s)"
    )
    p.add_argument(
        "--target-frame-rate", type=float, default=None, help="frames per second to keep"
    )
    p.add_argument("--resize-rate", type=float, default=None, help="resize factor, e.g. 0.25")
    for old in ("fps", "scale"):
        dest = DEPRECATED_SPELLINGS[old]
        p.add_argument(
            f"--{old}", type=float, dest=dest, action=_OldSpelling, help=argparse.SUPPRESS
        )


def _read_options(args: argparse.Namespace) -> dict[str, float | None]:
    """The read options :func:`_add_read_options` declared, as keyword arguments."""
    return {name: getattr(args, name) for name in _READ_FLAGS}


def _export_source(args: argparse.Namespace) -> object:
    from workbench.content_types import guess_content_type

    db: Path = args.db
    if db.is_file() and guess_content_type(db).split("/")[0] in ("video", "image"):
        return db
    if db.is_dir():
        db = db / "catalog.db"
    from workbench.catalog import open_catalog

    with open_catalog(db, readonly=True) as cat:
        return cat.select(
            tags=_split(args.tags), record_id=args.record_id, content_type=args.content_type
        )


def _run_export_frames(args: argparse.Namespace) -> int:
    from workbench.export import export_frames

    result = export_frames(
        _export_source(args),
        args.out,
        **_read_options(args),
        format=args.format,
        quality=args.quality,
        name=args.name,
        progress=not args.no_progress,
    )
    print(result)
    for failure in result.failed:
        print(f"failed: {failure}", file=sys.stderr)
    return 1 if result.failed else 0


def _run_export_clip(args: argparse.Namespace) -> int:
    from workbench.export import export_clip

    result = export_clip(args.src, args.out, **_read_options(args), progress=not args.no_progress)
    print(f"{result.path}: {result.frames} frames ({result.method}), {result.bytes} bytes")
    return 0


#: every subcommand's argument declaration, in the order ``--help`` lists them
SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_samples,
    _add_demo,
    _add_catalog,
    _add_export,
]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="workbench", description="Jupyter workbench for driving-behaviour recordings."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code.

    A :class:`~workbench.errors.WorkbenchError` is printed as one line on stderr with
    exit code 2 instead of a traceback.
    """
    with warnings.catch_warnings():  # a command line shows its deprecations
        warnings.simplefilter("default", WorkbenchDeprecationWarning)
        args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except WorkbenchError as exc:
        print(f"workbench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
