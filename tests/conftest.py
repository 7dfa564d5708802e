"""Fixtures shared by every test module, and the Hypothesis profiles."""
import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from kpi import demo, store
from kpi.access import accounts
from kpi.rules import load_rules
from tests.fixtures.hashing import FAST_HASHER

# Hypothesis profiles: a quick run by default, a deeper one in CI (CI=true). The property tests
# set no max_examples of their own, so the profile decides how hard each one searches.
settings.register_profile("default", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=120, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI", "").lower() in {"1", "true", "yes"} else "default")

def pytest_collection_modifyitems(items):
    """The order in which the test files are handed to the workers (`-n 2 --dist loadfile` runs each
    file on one worker; with --no-loadscope-reorder, pytest.ini, xdist hands them out in this order):
    the long ones first, so that none starts when the others are done and leaves a core idle at the
    end, and the browser files (whose worker waits on its server and browser much of the time)
    alternating with files that keep a core busy. Within a file the order stays as written."""
    by_file: dict[str, list] = {}
    for item in items:
        by_file.setdefault(item.nodeid.split("::")[0], []).append(item)

    def marked(name: str, tests: list) -> bool:
        return any(test.get_closest_marker(name) for test in tests)

    browser = [tests for tests in by_file.values() if marked("e2e", tests)]
    others = sorted((tests for tests in by_file.values() if not marked("e2e", tests)),
                    key=lambda tests: (not marked("slow", tests), -len(tests)))
    ordered = []
    for i in range(max(len(browser), len(others))):
        ordered += (browser[i] if i < len(browser) else []) + (others[i] if i < len(others) else [])
    items[:] = ordered


# argon2 at its minimum cost in the test process (tests/fixtures/hashing.py says why and how it
# reaches the e2e servers); tests/test_password_hasher.py proves production keeps the strong defaults
# (it reads them in a fresh interpreter, where this fixture does not reach).
@pytest.fixture(scope="session", autouse=True)
def fast_password_hasher():
    """Every in-process password hash and check in the session uses FAST_HASHER."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_HASHER", FAST_HASHER)
        patch.setattr(accounts, "_DUMMY_HASH", FAST_HASHER.hash("not a password of anyone"))
        yield FAST_HASHER


@pytest.fixture(scope="session")
def rules():
    """The default rules of data/rules.toml (frozen: tests derive variants with dataclasses.replace)."""
    return load_rules()


@pytest.fixture(scope="module")
def browser():
    """One headless Debian chromium per test module that asks for it (each test opens its own contexts).
    Module-scoped, not session-scoped: Playwright's sync API keeps an event loop running while it is
    open, and test modules that start their own `sync_playwright()` cannot run inside it."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: PLC0415  (only browser tests need it)

    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def tabs(browser):
    """One browser context for the tabs of a test module that need no more isolation from each other
    than their own Streamlit session — which each tab has (the app keeps nothing in cookies or
    storage; single sign-on, the one cookie, is not configured in the test servers). Tabs of one
    context share its cache: the app's scripts are fetched and compiled once per module, not once
    per tab (~1 s each). Tests that need separate browsers' state open their own contexts."""
    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    yield context
    context.close()


@pytest.fixture(scope="session")
def lake_factory():
    """New DuckLake stores on this worker's private PostgreSQL (started on first use, stopped at the
    end): `lake_factory.new_spec()` is the DJ_STORE spec of an empty lake at the latest schema."""
    from lake_fixture import LakeFactory, running_cluster  # noqa: PLC0415  (only store-kind tests need it)

    with running_cluster() as cluster:
        yield LakeFactory(cluster)


STORE_KINDS = ("file", "lake")


def pytest_generate_tests(metafunc):
    """`store_spec` is a DuckDB file for every test, and also a DuckLake for a test marked
    `both_kinds`: the store-level tests of what differs between the kinds — writes across processes,
    staleness, conflicts, uniqueness, ids, sign-in bookkeeping, audit, undo — chosen so, since a lake
    test takes about ten times a file test (catalog round trips on every statement); the figures on
    both kinds are compared whole in test_store_kinds_figures."""
    if "store_spec" in metafunc.fixturenames:
        kinds = STORE_KINDS if metafunc.definition.get_closest_marker("both_kinds") else STORE_KINDS[:1]
        metafunc.parametrize("store_spec", kinds, indirect=True)


@pytest.fixture
def store_spec(request, tmp_path):
    """A new, empty store of the kind the test is parametrised with (`pytest_generate_tests`) as the
    spec `store.open_store` takes: a DuckDB file, or a DuckLake copied from a migrated template."""
    if request.param == "file":
        return tmp_path / "store.duckdb"
    return request.getfixturevalue("lake_factory").new_spec()


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """`demo_store(path, as_of)` puts at `path` a store holding the demo group as of `as_of` (no
    accounts; with `with_accounts`, the demo accounts too) and returns `path`. Each date's demo is
    generated once per session; every caller gets its own copy of the file, so tests stay independent."""
    built: dict[dt.date, Path] = {}

    def copy_to(path: Path, as_of: dt.date, with_accounts: bool = False) -> Path:
        if as_of not in built:
            pristine = tmp_path_factory.mktemp("demo-pristine") / f"demo-{as_of.isoformat()}.duckdb"
            opened = store.open_store(pristine)
            try:
                demo.load_demo(opened.cursor(), as_of)
            finally:
                opened.close()
            built[as_of] = pristine
        shutil.copyfile(built[as_of], path)
        if with_accounts:
            opened = store.open_store(path)
            try:
                accounts.create_demo_accounts(opened.cursor(), load_rules())
            finally:
                opened.close()
        return path
    return copy_to
