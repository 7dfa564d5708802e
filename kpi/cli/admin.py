"""Create an administrator on the server: `python -m kpi admin create --user NAME [--display-name TEXT]`.

The way to the first administrator that needs no web form (and the way back in when every
administrator is locked out): whoever can run this can open the store anyway. The account is bound
to no unit. The password is read from the terminal (asked twice, never echoed); for scripts from
the environment variable DJ_ADMIN_PASSWORD, or as the first line of standard input with
--password-stdin — never from the command line, where other users of the machine could read it.
Like `demo`, it may create the store file (the first administrator of a fresh server).
Exit 0 created, 2 refused (no password to read, a bad or taken user name, a short password).
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from kpi import actions
from kpi.cli import common
from kpi.cli.common import EXIT_OK
from kpi.i18n import TranslatedError, t
from kpi.rules import load_rules

PASSWORD_ENV_VAR = "DJ_ADMIN_PASSWORD"


class NoPassword(TranslatedError):
    """No password can be read: no terminal, no --password-stdin line, no environment variable."""

    prefix = "admin."
    key = "no_password"

    def __init__(self):
        super().__init__(env=PASSWORD_ENV_VAR)


def add_arguments(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The sub-action `create`; returned, as the parser that takes the shared --db / --lang."""
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create an administrator bound to no unit")
    create.add_argument("--user", required=True, help="user name of the new administrator")
    create.add_argument("--display-name", default="", help="name shown in the app")
    create.add_argument("--password-stdin", action="store_true",
                        help=f"read the password from the first line of standard input (else ${PASSWORD_ENV_VAR}, "
                             "else the terminal)")
    return [create]


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
    password, repeated = read_password(args.password_stdin, lang)
    path = common.db_path(args)
    rules = load_rules()
    if repeated is not None and repeated != password:
        raise actions.PasswordMismatch()
    with common.opened_store(path, create=True) as opened:  # the first administrator of a fresh server
        con = opened.cursor()
        account = actions.create_admin(con, rules, args.user, password, args.display_name)
    print(t("admin.created", lang, username=account.username, path=str(path)))
    return EXIT_OK
