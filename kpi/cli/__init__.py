"""Command line: `python -m kpi COMMAND ...` (import, export, briefing, demo, admin).

Each command lives in its own module of this package (`kpi/cli/<command>.py`; the import command in
`import_cmd.py`, `import` being a keyword) exposing `add_arguments(parser)` and `run(args) -> int`;
`main` only dispatches. Exit codes: 0 done, 2 refused/bad input.
"""
from __future__ import annotations

import argparse
import importlib

COMMANDS = {
    "import": "kpi.cli.import_cmd",
    "export": "kpi.cli.export",
    "briefing": "kpi.cli.briefing",
    "demo": "kpi.cli.demo",
    "admin": "kpi.cli.admin",
}


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` (default: the process arguments), run the command named and return its exit code."""
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
        module.add_arguments(sub.add_parser(name, help=module.__doc__.strip().splitlines()[0]))
    args = parser.parse_args(argv)
    return modules[args.command].run(args)
