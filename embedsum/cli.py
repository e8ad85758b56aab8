"""Command line: ``python -m embedsum demo`` (and the ``embedsum`` console script)."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``embedsum`` command."""
    parser = argparse.ArgumentParser(prog="embedsum", description="Interpretable step-function classifiers.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="train on the bundled breast cancer data and report test quality")
    demo.add_argument("--seed", type=int, default=0, help="seed of the 70/30 split (default 0)")
    demo.add_argument("--top", type=int, default=10, help="how many features to list (default 10)")
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit status.

    Example
    -------
    >>> main(["demo", "--top", "0"])  # doctest: +SKIP
    0
    """
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        run_demo(top=args.top, seed=args.seed)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
