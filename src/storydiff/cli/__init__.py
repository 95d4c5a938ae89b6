"""The `storydiff` command: each subcommand lives in its own module here and only calls the library."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from storydiff import __version__
from storydiff.errors import StorydiffError


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser from every command module in this package."""
    parser = argparse.ArgumentParser(
        prog="storydiff",
        description="Compare how different outlets report the same news event.",
    )
    parser.add_argument("--version", action="version", version=f"storydiff {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; errors become one line on stderr and an exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except StorydiffError as exc:
        print(f"storydiff: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("storydiff: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
