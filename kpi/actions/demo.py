"""Demo actions: the start-up of a new store, loading the demo group, and clearing it — its data and
its demo accounts together (their passwords are public), recorded 'demo_cleared', in one transaction."""
from __future__ import annotations

import datetime as dt

import duckdb

from kpi import store
from kpi.access import accounts, audit, roles
from kpi.access.roles import Account, Forbidden
from kpi.i18n import TranslatedError
from kpi.rules import Rules


class DemoRefused(TranslatedError):
    """A demo load or clear refused (a family: DemoStoreNotEmpty, NotADemoStore). Keys in
    kpi/messages/demo.toml; param `path` names the store."""

    prefix = "demo."


class DemoStoreNotEmpty(DemoRefused):
    """The demo only loads into an empty store."""

    key = "not_empty"


class NotADemoStore(DemoRefused):
    """The store holds real data, which clearing the demo must never remove."""

    key = "not_demo"


@store.retried_on_conflict
def start_store(con: duckdb.DuckDBPyConnection, rules: Rules, today: dt.date) -> None:
    """The server's start-up: an empty store whose demo was never cleared gets the demo group, and a
    demo store without accounts gets the demo accounts (their passwords are in the README)."""
    from kpi import demo  # noqa: PLC0415  (demo is heavy; only the start-up and the CLI need it)

    def demo_due() -> bool:
        return store.is_empty(con) and store.meta_value(con, "demo_cleared") != "1"

    def accounts_due() -> bool:
        return store.is_demo(con) and not accounts.has_accounts(con)

    if not (demo_due() or accounts_due()):  # every later page run: no lock, no transaction
        return
    # Two first visitors at once: the second waits for the first's transaction, then finds the work done.
    with store.transaction(con):
        if demo_due():
            demo.load_demo(con, today)
        if accounts_due():
            accounts.create_demo_accounts(con, rules)


def load_demo(con: duckdb.DuckDBPyConnection, as_of: dt.date, seed: int | None = None, where: str = "") -> None:
    """Load the demo group into the empty store; DemoStoreNotEmpty otherwise."""
    from kpi import demo  # noqa: PLC0415

    if not store.is_empty(con):
        raise DemoStoreNotEmpty(path=where)
    demo.load_demo(con, as_of, demo.DEMO_SEED if seed is None else seed)


def can_clear_demo(account: Account) -> bool:
    """True when `account` may clear the demo (administrators)."""
    return roles.is_admin(account)


@store.retried_on_conflict
def clear_demo(con: duckdb.DuckDBPyConnection, by: Account | None, operator: str = "cli", where: str = "") -> int:
    """Remove the demo group and the demo accounts, recorded 'demo_cleared' by `by` (None: the server's
    `operator`), in one transaction; the number of demo accounts removed. Refuses Forbidden
    (not an administrator) and NotADemoStore on a store holding real data."""
    from kpi import demo  # noqa: PLC0415

    if by is not None and not can_clear_demo(by):
        raise Forbidden()
    with store.transaction(con):
        if not store.is_demo(con) and not store.is_empty(con):
            raise NotADemoStore(path=where)
        demo.clear_demo(con)
        removed = accounts.delete_demo_accounts(con)
        audit.record(con, by.username if by else operator, "demo_cleared", detail=f"accounts: {removed}")
    return removed
