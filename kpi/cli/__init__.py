"""Command line: `python -m kpi COMMAND ...` (import, export, briefing, demo, admin).

Each command lives in its own module of this package (`kpi/cli/<command>.py`; the import command in
`import_cmd.py`, `import` being a keyword) exposing `add_arguments(parser)` and `run(args) -> int`.
`main` builds the parser, gives every command the shared `--db` / `--lang` (kpi.cli.common), runs the
command and turns whatever it raises into one translated message on standard error.

Exit codes (kpi.cli.common): 0 done; 2 refused — bad arguments, bad input, a store or output that
cannot be used, or any other failure; never a traceback.
"""
from __future__ import annotations

import argparse
import importlib

from kpi.cli import common

COMMANDS = {
    "import": "kpi.cli.import_cmd",
    "export": "kpi.cli.export",
    "briefing": "kpi.cli.briefing",
    "demo": "kpi.cli.demo",
    "admin": "kpi.cli.admin",
}


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    """The parser of every command, and the command name → its module."""
    parser = argparse.ArgumentParser(prog="python -m kpi", description="党建督导看板 command line")
    sub = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        modules[name] = module
        command = sub.add_parser(name, help=module.__doc__.strip().splitlines()[0])
        # A command with sub-actions (admin create) returns the parsers its options end on: the shared
        # options go there, where argparse reads them.
        for leaf in module.add_arguments(command) or [command]:
            common.add_shared_options(leaf)
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` (default: the process arguments), run the command named and return its exit code."""
    parser, modules = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or argparse's refusal (2), already printed
        return exc.code if isinstance(exc.code, int) else common.EXIT_REFUSED
    try:
        return modules[args.command].run(args)
    except Exception as exc:  # noqa: BLE001  (every failure of every command: one message, exit 2)
        return common.report_failure(exc, args.lang)
