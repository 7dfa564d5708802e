"""Create an administrator on the server: `python -m kpi admin create --user NAME [--display-name TEXT]`.

The way to the first administrator that needs no web form (and the way back in when every
administrator is locked out): whoever can run this can open the store anyway. The account is bound
to no unit. The password is read from the terminal (asked twice, never echoed); for scripts from
the environment variable DJ_ADMIN_PASSWORD, or as the first line of standard input with
--password-stdin — never from the command line, where other users of the machine could read it.
Exit 0 created, 2 refused (no password to read, a bad or taken user name, a short password).
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from kpi import actions, config, store
from kpi.access.roles import AuthError
from kpi.i18n import LANGUAGES, t
from kpi.rules import RulesError, load_rules

EXIT_OK, EXIT_REFUSED = 0, 2
PASSWORD_ENV_VAR = "DJ_ADMIN_PASSWORD"


class NoPassword(Exception):
    """No password can be read: no terminal, no --password-stdin line, no environment variable."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create an administrator bound to no unit")
    create.add_argument("--user", required=True, help="user name of the new administrator")
    create.add_argument("--display-name", default="", help="name shown in the app")
    create.add_argument("--password-stdin", action="store_true",
                        help=f"read the password from the first line of standard input (else ${PASSWORD_ENV_VAR}, "
                             "else the terminal)")
    create.add_argument("--db", type=Path, help="DuckDB store (default: $DJ_DB or data/dashboard.duckdb)")
    create.add_argument("--lang", choices=LANGUAGES, default="zh", help="language of the messages")


def read_password(from_stdin: bool, lang: str) -> tuple[str, str | None]:
    """(the password, its repetition or None when it came from a script) from standard input, the
    environment or the terminal, in that order; raises NoPassword when none can be read."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise NoPassword
        return line, None
    if os.environ.get(PASSWORD_ENV_VAR):
        return os.environ[PASSWORD_ENV_VAR], None
    if not sys.stdin.isatty():  # getpass would read a pipe silently, or hang on nothing
        raise NoPassword
    return (getpass.getpass(t("admin.password_prompt", lang)),
            getpass.getpass(t("admin.password_repeat", lang)))


def run(args: argparse.Namespace) -> int:
    lang = args.lang
    try:
        password, repeated = read_password(args.password_stdin, lang)
    except NoPassword:
        print(t("admin.no_password", lang, env=PASSWORD_ENV_VAR), file=sys.stderr)
        return EXIT_REFUSED
    path = args.db or config.db_path([])
    try:
        rules = load_rules()
        if repeated is not None and repeated != password:  # before the store is opened
            raise AuthError("password_mismatch")
        opened = store.open_store(path)
        try:
            con = opened.cursor()
            account = actions.create_admin(con, rules, args.user, password, args.display_name)
        finally:
            opened.close()
    except (AuthError, RulesError) as exc:
        print(exc.message(lang), file=sys.stderr)
        return EXIT_REFUSED
    except Exception as exc:  # noqa: BLE001  (one line, never a traceback; the account is one transaction)
        print(t("cli.unexpected", lang, kind=type(exc).__name__, detail=str(exc)), file=sys.stderr)
        return EXIT_REFUSED
    print(t("admin.created", lang, username=account.username, path=str(path)))
    return EXIT_OK
