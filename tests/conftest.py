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


@pytest.fixture(scope="session")
def browser():
    """One headless Debian chromium for the browser tests that ask for it (each opens its own contexts)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    from browser import CHROMIUM, CHROMIUM_ARGS  # noqa: PLC0415  (only browser tests need it)

    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
