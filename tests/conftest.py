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
