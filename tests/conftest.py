"""Fixtures shared by every test module."""
import sys
from pathlib import Path

import pytest

from kpi.rules import load_rules

# Test helper modules (fixtures, browser) import each other by plain name.
sys.path.insert(0, str(Path(__file__).resolve().parent))


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
    from browser import CHROMIUM, CHROMIUM_ARGS  # noqa: PLC0415  (only browser tests need it)

    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
