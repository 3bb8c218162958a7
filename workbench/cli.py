"""The ``workbench`` command line: a thin layer over the library.

Each subcommand has a ``_add_<name>`` function that declares its arguments and a
``_run_<name>`` function that calls the library. Keep the work in the library.

Examples
--------
.. code-block:: console

    $ workbench samples data/ --records 2 --duration 30
    $ workbench demo --no-browser
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from workbench.errors import WorkbenchError

Runner = Callable[[argparse.Namespace], int]


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
    p.set_defaults(run=_run_samples)


def _run_samples(args: argparse.Namespace) -> int:
    from workbench.samples import make_sample_database

    root = make_sample_database(
        args.dir,
        records=args.records,
        duration_seconds=args.duration,
        cameras=tuple(c.strip() for c in args.cameras.split(",") if c.strip()),
        seed=args.seed,
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


#: every subcommand's argument declaration, in the order ``--help`` lists them
SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_samples,
    _add_demo,
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
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except WorkbenchError as exc:
        print(f"workbench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
