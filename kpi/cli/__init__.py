"""Command line: `python -m kpi COMMAND ...` (import, export, briefing, demo, admin, copy).

Each command lives in its own module of this package (`kpi/cli/<command>.py`; the import command in
`import_cmd.py`, `import` being a keyword) exposing `add_arguments(parser)` and `run(args) -> int`.
`main` builds the parser, gives every command the shared `--db` / `--lang` (kpi.cli.common), runs the
command and turns whatever it raises into one translated message on standard error.

Exit codes (kpi.cli.common): 0 done; 2 refused — bad arguments, bad input, a store or output that
cannot be used, or any other failure; never a traceback.

A store held by another process: a running dashboard takes the job over (kpi.cli.handoff); any other
holder is waited for ([store] lock_wait_seconds of the rules), then named in the refusal.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time

from kpi.cli import common, handoff
from kpi.rules import RulesError, StoreWait, load_rules

# How often a command waiting for a held store tries again: the holder's end has no event to wait on.
_LOCK_POLL_SECONDS = 0.2

COMMANDS = {
    "import": "kpi.cli.import_cmd",
    "export": "kpi.cli.export",
    "briefing": "kpi.cli.briefing",
    "demo": "kpi.cli.demo",
    "admin": "kpi.cli.admin",
    "copy": "kpi.cli.copy_store",
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
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or argparse's refusal (2), already printed
        return exc.code if isinstance(exc.code, int) else common.EXIT_REFUSED
    try:
        return _run_when_free(modules[args.command], args, argv)
    except Exception as exc:  # noqa: BLE001  (every failure of every command: one message, exit 2)
        return common.report_failure(exc, args.lang)


def _lock_wait_seconds() -> float:
    try:
        return load_rules().store.lock_wait_seconds
    except RulesError:  # the command itself reports a bad rules file when it needs the rules
        return StoreWait().lock_wait_seconds


def _run_when_free(module, args: argparse.Namespace, argv: list[str]) -> int:
    """Run the command; while another process holds its store, hand the job to the dashboard holding it,
    or — no dashboard answering — try again until [store] lock_wait_seconds have passed, then refuse
    naming the holder. A job the dashboard runs (on its own store) never waits here."""
    deadline = waited = None
    while True:
        try:
            return module.run(args)
        except common.StoreLocked as locked:
            if common.HOSTED_STORE.get() is not None:
                raise
            if args.command in handoff.COMMANDS:
                code = handoff.hand_off(argv, args)
                if code is not None:
                    return code
            elif locked.holder is not None and locked.holder.kind == "dashboard":
                raise common.StoreLocked(locked.path, locked.holder, not_handed_over=args.command) from locked
            now = time.monotonic()
            if deadline is None:
                waited = _lock_wait_seconds()
                deadline = now + waited
            if now >= deadline:
                raise common.StoreLocked(locked.path, locked.holder, waited) from locked
            time.sleep(min(_LOCK_POLL_SECONDS, deadline - now))
