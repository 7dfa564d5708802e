"""Command line: `python -m kpi COMMAND ...` (import, export, briefing, demo, admin).

Each command lives in its own module `kpi/cli_<command>.py` exposing `add_arguments(parser)`
and `run(args) -> int`; this file only dispatches. Exit codes: 0 done, 2 refused/bad input.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "import": "kpi.cli_import",
    "export": "kpi.cli_export",
    "briefing": "kpi.cli_briefing",
    "demo": "kpi.cli_demo",
    "admin": "kpi.cli_admin",
}


def main(argv: list[str] | None = None) -> int:
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


if __name__ == "__main__":
    sys.exit(main())
