"""The same data gives the same figures on both store kinds (issue 16 item 1: every page works on a
DuckLake): the demo group as a DuckDB file and the same rows copied into a lake (kpi.store.copying),
then the functions behind the cockpit, the unit × rule matrix, the unit profile and the weekly
briefing — which between them read every dataset and derived table — compared call for call.
Their values are checked by hand elsewhere (test_overview, test_matrix, test_unit_profile,
test_briefing); here only that the lake answers exactly as the file does."""
from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pandas as pd
import pytest

from kpi import store
from kpi.briefing.content import build_briefing
from kpi.metrics.matrix import rule_matrix
from kpi.metrics.overview import headline_cards, unit_ranking
from kpi.metrics.profile import unit_profile
from kpi.store.copying import copy_file_into_lake

AS_OF = dt.date(2026, 11, 20)
WEEK = "2026-W46"


@pytest.fixture(scope="module")
def stores(demo_store, lake_factory, tmp_path_factory):
    """(file cursor, lake cursor) holding the same demo group."""
    path = demo_store(tmp_path_factory.mktemp("kinds") / "demo.duckdb", AS_OF)
    lake_store = store.open_store(lake_factory.new_spec())
    copy_file_into_lake(path, lake_store.cursor())
    file_store = store.open_store(path)
    yield file_store.cursor(), lake_store.cursor()
    file_store.close()
    lake_store.close()


@pytest.mark.parametrize("figure", [
    lambda con, rules: headline_cards(con, rules, AS_OF, today=AS_OF),
    lambda con, rules: headline_cards(con, rules, AS_OF, "G01", today=AS_OF),
    lambda con, rules: unit_ranking(con, rules, AS_OF),
    lambda con, rules: rule_matrix(con, rules, AS_OF, None, AS_OF),
    lambda con, rules: unit_profile(con, rules, AS_OF, "G0101", today=AS_OF),
    lambda con, rules: build_briefing(con, rules, WEEK, today=AS_OF),
], ids=["cards", "cards-G01", "ranking", "matrix", "unit-profile", "briefing"])
def test_a_lake_gives_the_figures_the_file_gives(stores, rules, figure):
    on_file, on_lake = (plain(figure(con, rules)) for con in stores)
    assert on_lake == on_file


def plain(value):
    """`value` as nested lists and dicts, every field and every cell included (a frame's repr elides
    rows), NaN made comparable."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, pd.DataFrame):
        return {"columns": list(value.columns), "index": plain(list(value.index)),
                "rows": plain(value.to_numpy().tolist())}
    if isinstance(value, pd.Series):
        return {"index": plain(list(value.index)), "values": plain(value.tolist())}
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if value is pd.NA or value is pd.NaT:
        return repr(value)
    return value
