"""Indicator roll-ups, latest values, member pipeline and theory-study headline on rule_fixtures."""
import dataclasses
import datetime as dt

import pandas as pd
import pytest

from kpi import store
from kpi.metrics import indicators
from tests.fixtures.rule_fixtures import build_rule_store

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def con(tmp_path):
    store = build_rule_store(tmp_path / "t.duckdb")
    yield store.cursor()
    store.close()



def _rows(df, *cols):
    return [tuple(None if pd.isna(v) else v for v in r) for r in df[list(cols)].itertuples(index=False)]


def test_mean_rollup_and_target(con, rules):
    df = indicators.indicator_series(con, rules, "theory_study_coverage")
    assert _rows(df, "unit_code", "period", "value", "reporting_units", "meets") == [
        ("S1", "2025-05", 98.0, 2, True), ("S1", "2025-06", 97.5, 2, False), ("S2", "2025-05", 99.0, 1, True)]
    assert set(df["target"]) == {98.0}


def test_sum_rollup(con, rules):
    df = indicators.indicator_series(con, rules, "publicity_articles")
    assert _rows(df, "unit_code", "period", "value", "meets") == [("S1", "2025-05", 7.0, True),
                                                                  ("S1", "2025-06", 2.0, False)]


def test_last_rollup_carries_each_units_latest_value_forward(con, rules):
    df = indicators.indicator_series(con, rules, "applicants")
    assert _rows(df, "unit_code", "period", "value", "meets") == [
        ("S1", "2025-04", 5.0, None), ("S1", "2025-05", 5.0, None), ("S1", "2025-06", 6.0, None),
        ("S1", "2025-07", 100.0, None),
        ("S2", "2025-05", 3.0, None), ("S2", "2025-06", 3.0, None), ("S2", "2025-07", 3.0, None)]
    window = indicators.indicator_series(con, rules, "applicants", start="2025-05", end=AS_OF)
    assert _rows(window, "unit_code", "period", "value") == [
        ("S1", "2025-05", 5.0), ("S1", "2025-06", 6.0), ("S2", "2025-05", 3.0), ("S2", "2025-06", 3.0)]


def test_series_below_a_root_and_lower_is_better(con, rules):
    df = indicators.indicator_series(con, rules, "theory_study_coverage", root="S1")
    assert _rows(df, "unit_code", "period", "value") == [("T11", "2025-05", 98.0), ("T11", "2025-06", 97.5)]
    flipped = dataclasses.replace(rules, indicators=tuple(
        dataclasses.replace(i, higher_is_better=False) if i.code == "publicity_articles" else i
        for i in rules.indicators))
    assert list(indicators.indicator_series(con, flipped, "publicity_articles")["meets"]) == [False, True]


def test_latest_lists_every_unit_and_missing_as_na(con, rules):
    df = indicators.indicator_latest(con, rules, "theory_study_coverage", AS_OF)
    assert _rows(df, "unit_code", "period", "value", "meets") == [
        ("S1", "2025-06", 97.5, False), ("S2", "2025-05", 99.0, True), ("S3", None, None, None),
        ("S4", None, None, None)]


def test_unknown_indicator_is_refused(con, rules):
    with pytest.raises(KeyError, match="no_such"):
        indicators.indicator_series(con, rules, "no_such")


def test_member_pipeline(con, rules):
    df = indicators.member_pipeline(con, rules, AS_OF)
    assert _rows(df, "stage", "name", "count", "reporting_units") == [
        (1, "入党申请人", 9.0, 2), (2, "入党积极分子", 4.0, 1), (3, "发展对象", 2.0, 1), (4, "预备党员", None, 0),
        (5, "正式党员", 38.0, 2)]
    earlier = indicators.member_pipeline(con, rules, dt.date(2025, 5, 31), lang="en")
    assert _rows(earlier, "name", "count") == [("Applicants for membership", 8.0), ("Activists", None),
                                               ("Development targets", 2.0), ("Probationary members", None),
                                               ("Full members", None)]
    assert _rows(indicators.member_pipeline(con, rules, AS_OF, root="S2"), "count")[0] == (3.0,)


def test_theory_study_headline(con, rules):
    head = indicators.theory_study_headline(con, rules, AS_OF)
    assert (head.value, head.target, head.status) == (97.5, 98.0, "warn")
    stricter = dataclasses.replace(rules, theory_min_coverage_pct=97.0)
    assert indicators.theory_study_headline(con, stricter, AS_OF).status == "ok"
    assert indicators.theory_study_headline(con, rules, dt.date(2025, 4, 30)).value is None
    assert indicators.theory_study_headline(con, rules, AS_OF, root="S2").value == 99.0


def test_unit_latest_equals_indicator_latest_for_each_code(tmp_path, rules, demo_store):
    # One query for a unit's whole catalogue (the unit profile) gives, code by code, the unit's own
    # row of indicator_latest — checked on the demo group for units of every level and two dates.
    st = store.open_store(demo_store(tmp_path / "demo.duckdb", dt.date(2026, 11, 21)))
    con = st.cursor()
    units = con.execute("""SELECT unit_code, level FROM units
                           QUALIFY row_number() OVER (PARTITION BY level ORDER BY unit_code) <= 3""").fetchall()
    checked = 0
    for as_of in (dt.date(2026, 11, 21), dt.date(2025, 6, 30)):
        for code, level in units:
            one = indicators.unit_latest(st.cursor(), rules, as_of, code).set_index("code")
            for entry in rules.indicators:
                row = indicators.indicator_latest(st.cursor(), rules, entry.code, as_of, code, level).iloc[0]
                if pd.isna(row["period"]):
                    assert entry.code not in one.index
                    continue
                got = one.loc[entry.code]
                assert (got["period"], int(got["reporting_units"])) == (row["period"], int(row["reporting_units"]))
                assert got["value"] == pytest.approx(row["value"])
                assert (None if pd.isna(got["meets"]) else bool(got["meets"])) == (
                    None if pd.isna(row["meets"]) else bool(row["meets"]))
                checked += 1
    st.close()
    assert checked == 80   # units × dates × codes with data, all compared
