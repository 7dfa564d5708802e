"""One definition of a unit's alerts (issue 14, item 4): own flags and subtree flags, each flag once,
the same in the overview ranking, the unit profile and the briefing; each rule raises its flag on
the level data/rules.toml states, whichever unit is viewed.

Store: tests/fixtures/overview_fixture.py as of 2026-06-30. By hand (tests/test_overview.py lists
the 22 flags): G 0; A 2 (meetings below 90%, not inspected); A1 1 (overdue problem); A1b 4
(meeting gaps); B 8 (three annual rules, meetings below 90%, severe P3, not supervised, not
inspected, standardisation 0% of 95%); B1 2 (overdue P4, not inspected); B1a 5 (meeting gaps).
Subtrees: A 2 + 1 + 4 = 7, B 8 + 2 + 5 = 15, G 22.
"""
import dataclasses

import pytest

from kpi.briefing import content
from kpi.metrics import overview, profile
from kpi.rules import RulesError, rules_from_dict
from kpi.store import bump_data_version
from tests.fixtures import overview_fixture as fx
from tests.test_rules import _edit  # the default rules file as a dict with one key changed


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = fx.build(tmp_path_factory.mktemp("alerts") / "alerts.duckdb")
    yield store
    store.close()


def _counts(alerts):
    return {r.unit_code: (r.own_flags, r.subtree_flags) for r in alerts.itertuples()}


def test_unit_alerts_count_own_and_subtree_flags_once(store, rules):
    alerts = overview.unit_alerts(store.cursor(), rules, fx.AS_OF)
    assert list(alerts.columns) == overview.ALERT_COLUMNS
    assert _counts(alerts) == {"A": (2, 7), "A1": (1, 5), "A1a": (0, 0), "A1b": (4, 4), "B": (8, 15),
                               "B1": (2, 7), "B1a": (5, 5), "G": (0, 22)}


def test_ranking_profile_and_briefing_name_the_same_worst_unit(store, rules):
    ranking = overview.unit_ranking(store.cursor(), rules, fx.AS_OF)
    assert ranking[["rank", "unit_code", "flag_count", "own_flag_count"]].values.tolist() == [
        [1, "A", 7, 2], [2, "B", 15, 8]]
    worst = overview.worst_unit(ranking)
    assert (worst.unit_code, worst.flag_count) == ("B", 15)
    p = profile.unit_profile(store.cursor(), rules, fx.AS_OF, "B")
    assert (p.flag_count, p.own_flag_count, len(p.flags)) == (15, 8, 15)
    section = content.flags_section(store.cursor(), rules, fx.AS_OF, None, "", "zh", None)
    assert section.takeaways[-1] == "预警最多的单位：乙公司（含下属单位 15 条）。"
    english = content.flags_section(store.cursor(), rules, fx.AS_OF, None, "", "en", None)
    assert english.takeaways[-1] == "Unit with most flags: 乙公司 (15, units below it included)."


@pytest.mark.parametrize("root", [None, "G", "B", "B1", "B1a"])
def test_a_scope_lists_the_whole_stores_flags_of_its_subtree(store, rules, root):
    # Standardisation is judged on secondary units wherever one looks (it used to flag B1 when B was
    # viewed), and a deeper root no longer rates its secondary ancestor on the root's branches alone.
    everything = overview.red_flags(store.cursor(), rules, fx.AS_OF)
    subtree = {"B": {"B", "B1", "B1a"}, "B1": {"B1", "B1a"}, "B1a": {"B1a"}}.get(root)
    expected = everything if subtree is None else everything[everything.unit_code.isin(subtree)]
    scoped = overview.red_flags(store.cursor(), rules, fx.AS_OF, root)
    assert sorted(map(tuple, scoped[["unit_code", "rule"]].values.tolist())) == sorted(
        map(tuple, expected[["unit_code", "rule"]].values.tolist()))
    assert _counts(overview.unit_alerts(store.cursor(), rules, fx.AS_OF, root)) == {
        code: counts for code, counts in _counts(overview.unit_alerts(store.cursor(), rules, fx.AS_OF)).items()
        if subtree is None or code in subtree}


def test_flag_levels_come_from_the_rules_file(store, rules):
    # Standardisation judged on tertiary units instead: B1 (0 of 1 branch) is flagged, B no longer.
    tertiary = dataclasses.replace(rules, standardisation_levels=(3,), meeting_flag_levels=(2, 3))
    flags = overview.red_flags(store.cursor(), tertiary, fx.AS_OF)
    assert sorted(flags.loc[flags.rule == "standardisation", "unit_code"]) == ["B1"]
    # Meetings below 90% now also on A1 (30 of 48 slots) and B1 (0 of 24).
    assert sorted(flags.loc[flags.rule == "meetings_below", "unit_code"]) == ["A", "A1", "B", "B1"]
    assert _counts(overview.unit_alerts(store.cursor(), tertiary, fx.AS_OF, level=2)) == {
        "A": (2, 8), "B": (7, 16)}


@pytest.mark.parametrize(("path", "value", "zh"), [
    (("standardisation", "levels"), [4],
     "规则文件有误：standardisation.levels — “4”不是允许的取值（1、2、3）"),
    (("meetings", "flag_below_levels"), [], "规则文件有误：meetings.flag_below_levels — 应为非空列表"),
])
def test_flag_levels_are_validated(path, value, zh):
    with pytest.raises(RulesError) as caught:
        rules_from_dict(_edit(path, value))
    assert caught.value.message("zh") == zh


def test_flag_levels_default_to_secondary_units_when_left_out():
    data = _edit(("standardisation", "levels"), KeyError)
    del data["meetings"]["flag_below_levels"]
    loaded = rules_from_dict(data)
    assert (loaded.standardisation_levels, loaded.meeting_flag_levels) == ((2,), (2,))


def test_standardisation_flags_read_the_stores_rating_year_whatever_the_scope(tmp_path, rules):
    # B1a's rating is still the one of 2025 (2026's not yet uploaded), A's branches have 2026's. The
    # flags read 2026 everywhere: B has no rated branch that year, so it is flagged neither in the
    # whole group's list nor on its own profile (its profile card still shows its latest, 2025).
    st = fx.build(tmp_path / "years.duckdb")
    con = st.cursor()
    con.execute("UPDATE ratings SET year = 2025 WHERE unit_code = 'B1a'")
    bump_data_version(con)
    for root in (None, "B"):
        flags = overview.red_flags(st.cursor(), rules, fx.AS_OF, root)
        assert "standardisation" not in set(flags.rule)
    p = profile.unit_profile(st.cursor(), rules, fx.AS_OF, "B")
    assert (p.ratings_year, p.flag_count, p.own_flag_count) == (2025, 14, 7)
    st.close()
