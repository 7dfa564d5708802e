"""The demo group: deterministic, a consistent tree, valid rows, the planted shortfalls, load and clear.

Exact numbers are those of DEMO_SEED and AS_OF; every one is recomputed here by plain SQL over
the loaded store, so a change to the generator that moves a planted shortfall fails a test.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kpi import demo, store
from kpi.cli import main
from kpi.cli.export import export_bytes
from kpi.datasets import (
    DATASETS,
    MEETING_TYPES,
    ORG_TYPES,
    PROBLEM_SOURCES,
    PROBLEM_STATUSES,
    SECRETARY_RATINGS,
    SEVERITIES,
    SUPERVISION_KINDS,
)
from kpi.demo.figures import RATING_MIN_BASIC, RATING_MIN_MEAN, STAR_STEPS
from kpi.importing.parse import parse_upload
from kpi.store import quote_identifier as q

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 21)
# A first of January (the as-of year has barely begun) and a 29 February.
OTHER_AS_OF = (dt.date(2027, 1, 1), dt.date(2024, 2, 29))
CONTENT_TABLES = (*DATASETS, *(f"{name}_undo" for name in DATASETS), "problem_snapshots")



def _loaded(tmp_path_factory, as_of: dt.date, seed: int = demo.DEMO_SEED):
    s = store.open_store(tmp_path_factory.mktemp("demo") / "t.duckdb")
    con = s.cursor()
    demo.load_demo(con, as_of, seed)
    return con


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    return _loaded(tmp_path_factory, AS_OF)


@pytest.fixture(scope="module", params=[AS_OF, *OTHER_AS_OF], ids=str)
def any_con(request, tmp_path_factory):
    """A store loaded for each as-of date the validity checks run on; yields (con, as_of)."""
    return _loaded(tmp_path_factory, request.param), request.param


def one(con, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchone()[0]


def _content(con) -> dict:
    sums = store.table_checksums(con)
    batches = con.execute("SELECT * EXCLUDE (created_at) FROM batches ORDER BY batch_id").fetchall()
    return {**{name: sums[name] for name in CONTENT_TABLES}, "batches": batches,
            "meta": con.execute("SELECT * FROM meta ORDER BY key").fetchall()}


# --- determinism -------------------------------------------------------------------------------

def test_same_seed_and_date_give_identical_tables(con, tmp_path_factory):
    assert _content(_loaded(tmp_path_factory, AS_OF)) == _content(con)


def test_another_seed_gives_other_rows(con, tmp_path_factory):
    other = store.table_checksums(_loaded(tmp_path_factory, AS_OF, seed=demo.DEMO_SEED + 1))
    mine = store.table_checksums(con)
    assert [name for name in DATASETS if other[name] == mine[name]] == []


# --- sizes and the tree ------------------------------------------------------------------------

def test_row_counts_of_the_fixed_seed(con):
    counts = {name: one(con, f"SELECT count(*) FROM {q(name)}") for name in (*DATASETS, "problem_snapshots")}
    assert counts == {"units": 351, "annual": 148, "meetings": 41446, "problems": 279, "supervision": 242,
                      "ratings": 893, "indicators": 3500, "problem_snapshots": 7019}


def test_tree_has_one_group_ten_secondary_forty_tertiary_three_hundred_branches(con):
    levels = con.execute("SELECT level, org_type, count(*) FROM units GROUP BY ALL ORDER BY ALL").fetchall()
    assert levels == [(1, "党委", 1), (2, "党委", 10), (3, "党委", 35), (3, "党总支", 5), (4, "党支部", 300)]
    assert con.execute("SELECT unit_code, unit_name FROM units WHERE level = 1").fetchall() == [("G", "示范能源集团")]


def test_every_parent_exists_one_level_up_and_prefixes_the_code(con):
    assert one(con, """SELECT count(*) FROM units c LEFT JOIN units p ON p.unit_code = c.parent_code
                       WHERE c.level > 1 AND (p.unit_code IS NULL OR p.level <> c.level - 1
                             OR NOT starts_with(c.unit_code, p.unit_code)
                             OR length(c.unit_code) <> length(p.unit_code) + 2)""") == 0
    assert one(con, "SELECT count(*) FROM units WHERE level = 1 AND parent_code IS NULL") == 1
    assert one(con, "SELECT count(*) - count(DISTINCT unit_code) FROM units") == 0
    assert one(con, "SELECT count(DISTINCT unit_name) FROM units") == 351
    # every branch reaches the group through unit_paths
    assert one(con, "SELECT count(*) FROM unit_paths WHERE ancestor_code = 'G' AND unit_code <> 'G'") == 350


def test_member_and_staff_counts_of_a_parent_are_the_sums_of_its_children(con):
    assert one(con, """SELECT count(*) FROM units p JOIN (
                           SELECT parent_code, sum(member_count) m, sum(staff_count) s FROM units GROUP BY 1) c
                         ON c.parent_code = p.unit_code
                       WHERE p.member_count <> c.m OR p.staff_count <> c.s""") == 0
    assert con.execute("SELECT member_count, staff_count FROM units WHERE level = 1").fetchone() == (6648, 20951)
    assert one(con, "SELECT count(*) FROM units WHERE level = 4 AND NOT member_count BETWEEN 5 AND 60") == 0
    assert one(con, "SELECT count(*) FROM units WHERE staff_count < member_count") == 0


def test_three_branches_founded_this_year_and_one_last_year_the_rest_long_ago(con):
    recent = con.execute("""SELECT founded_date FROM units WHERE founded_date >= DATE '2024-01-01'
                            ORDER BY founded_date""").fetchall()
    assert [r[0] for r in recent] == [dt.date(2025, 7, 1), dt.date(2026, 6, 12), dt.date(2026, 6, 21),
                                      dt.date(2026, 6, 30)]
    assert one(con, "SELECT count(*) FROM units WHERE founded_date > DATE '2022-12-31' AND level < 4") == 0
    assert one(con, "SELECT min(founded_date) FROM units") >= dt.date(2000, 1, 1)


# --- batches and meta --------------------------------------------------------------------------

def test_one_demo_batch_per_dataset_counting_its_rows(con):
    batches = con.execute("""SELECT dataset, kind, user_name, file_name, sha256, rows_total, rows_inserted,
                                    rows_updated, rows_unchanged, as_of, undone_at IS NULL
                             FROM batches ORDER BY batch_id""").fetchall()
    assert [b[0] for b in batches] == list(DATASETS)
    for dataset, kind, user, file_name, sha, total, inserted, updated, unchanged, as_of, live in batches:
        rows = one(con, f"SELECT count(*) FROM {q(dataset)}")
        assert (kind, user, file_name, sha, total, inserted, updated, unchanged, as_of, live) == \
            ("demo", "demo", "演示数据", None, rows, rows, 0, 0, AS_OF, True)
        assert one(con, f"""SELECT count(*) FROM {q(dataset)} t JOIN batches b USING (batch_id)
                            WHERE b.dataset = ?""", [dataset]) == rows
    assert one(con, """SELECT count(*) FROM problem_snapshots s JOIN batches b USING (batch_id)
                       WHERE b.dataset = 'problems'""") == 7019
    assert store.is_demo(con)
    assert store.data_version(con) == 1


# --- validity: every row passes the importer ---------------------------------------------------

def test_every_exported_dataset_reimports_without_an_error(any_con, rules):
    con, _ = any_con
    for name in DATASETS:
        parsed = parse_upload(export_bytes(con, name, "csv"), f"{name}.csv", name, con, rules)
        assert [e.message() for e in parsed.errors] == []
        assert len(parsed.frame) == one(con, f"SELECT count(*) FROM {q(name)}")


def test_natural_keys_are_unique(any_con):
    con, _ = any_con
    for ds in DATASETS.values():
        key = ", ".join(q(k) for k in ds.key)
        assert one(con, f"SELECT count(*) - count(DISTINCT ({key})) FROM {q(ds.name)}") == 0, ds.name


def test_enumerations_hold_only_the_stored_chinese_terms(any_con):
    con, _ = any_con
    for table, column, choices in (("units", "org_type", ORG_TYPES), ("annual", "secretary_rating", SECRETARY_RATINGS),
                                   ("meetings", "meeting_type", MEETING_TYPES), ("problems", "source", PROBLEM_SOURCES),
                                   ("problems", "severity", SEVERITIES), ("problems", "status", PROBLEM_STATUSES),
                                   ("problem_snapshots", "status", PROBLEM_STATUSES),
                                   ("supervision", "kind", SUPERVISION_KINDS)):
        values = {r[0] for r in con.execute(f"SELECT DISTINCT {q(column)} FROM {q(table)}").fetchall()}
        assert values <= set(choices), (table, column)


def test_every_meeting_type_source_and_supervision_kind_occurs(con):
    for table, column, choices in (("meetings", "meeting_type", MEETING_TYPES), ("problems", "source", PROBLEM_SOURCES),
                                   ("supervision", "kind", SUPERVISION_KINDS)):
        values = {r[0] for r in con.execute(f"SELECT DISTINCT {q(column)} FROM {q(table)}").fetchall()}
        assert values == set(choices), (table, column)


def test_rows_belong_to_units_of_the_right_level(any_con):
    con, _ = any_con
    for table, levels in (("annual", (2, 3)), ("meetings", (4,)), ("problems", (2, 3)),
                          ("supervision", (2, 3)), ("ratings", (4,)), ("indicators", (2,))):
        got = {r[0] for r in con.execute(f"SELECT DISTINCT u.level FROM {q(table)} t "
                                         f"LEFT JOIN units u USING (unit_code)").fetchall()}
        assert got == set(levels), table


def test_nothing_happens_after_the_as_of_date_or_before_a_branch_existed(any_con):
    con, as_of = any_con
    first = dt.date(as_of.year - 2, 1, 1)
    assert con.execute("""SELECT min(m.date) >= ?, max(m.date) <= ?,
                                 count(*) FILTER (WHERE m.date < u.founded_date)
                          FROM meetings m JOIN units u USING (unit_code)""", [first, as_of]).fetchone() == \
        (True, True, 0)
    assert one(con, "SELECT count(*) FROM problems WHERE found_date > ? OR completed_date > ? OR closed_date > ?",
               [as_of] * 3) == 0
    assert one(con, "SELECT count(*) FROM supervision WHERE end_date > ? OR start_date < ?", [as_of, first]) == 0
    assert one(con, "SELECT count(*) FROM ratings r JOIN units u USING (unit_code) "
                    "WHERE r.year < year(u.founded_date)") == 0
    assert one(con, "SELECT max(period) FROM indicators") == f"{as_of:%Y-%m}"


def test_meeting_attendance_and_annual_ranges(any_con):
    con, _ = any_con
    assert one(con, """SELECT count(*) FROM meetings m JOIN units u USING (unit_code)
                       WHERE attended > expected OR attended < 0 OR expected <> u.member_count
                          OR topic IS NULL""") == 0
    assert one(con, """SELECT count(*) FROM annual WHERE payroll_prev_year <= 0 OR fund_budget < 0
                       OR fund_spent < 0 OR fund_spent > fund_budget
                       OR NOT assessment_weight_pct BETWEEN 0 AND 100 OR NOT assessment_score BETWEEN 0 AND 100
                       OR party_staff < 1""") == 0


def test_problem_dates_follow_the_lifecycle(any_con):
    con, _ = any_con
    assert one(con, """SELECT count(*) FROM problems WHERE due_date < found_date
                       OR completed_date < found_date OR closed_date < completed_date
                       OR (status = '已销号') <> (closed_date IS NOT NULL)
                       OR (status IN ('已完成待验收', '已销号')) <> (completed_date IS NOT NULL)
                       OR owner IS NULL OR measures IS NULL OR description IS NULL OR category IS NULL""") == 0
    # 问题编号 carries the source's prefix and the year found
    assert one(con, """SELECT count(*) FROM problems WHERE problem_id NOT LIKE '__-' || year(found_date) || '-____'
                       OR left(problem_id, 2) <> CASE source WHEN '巡察' THEN 'XC' WHEN '审计' THEN 'SJ'
                          WHEN '督查' THEN 'DC' WHEN '专项检查' THEN 'ZX' WHEN '主题教育' THEN 'ZT'
                          WHEN '上级反馈' THEN 'SF' ELSE 'ZC' END""") == 0


def test_supervision_dates_and_findings(any_con):
    con, _ = any_con
    assert one(con, "SELECT count(*) FROM supervision WHERE end_date < start_date OR findings < 0 "
                    "OR lead IS NULL") == 0


def test_ratings_flag_and_stars_follow_the_scores(any_con):
    con, _ = any_con
    steps = ", ".join(str(s) for s in STAR_STEPS)
    basics = "basic_org, basic_team, basic_activity, basic_role, basic_system, basic_support"
    mean = f"({basics.replace(', ', ' + ')}) / 6"
    assert one(con, f"""SELECT count(*) FROM ratings
                        WHERE compliant <> (least({basics}) >= ? AND {mean} >= ?)
                           OR stars <> 1 + len(list_filter([{steps}], lambda s: {mean} >= s))
                           OR NOT stars BETWEEN 1 AND 5 OR least({basics}) < 0 OR greatest({basics}) > 100""",
               [RATING_MIN_BASIC, RATING_MIN_MEAN]) == 0


def test_indicators_cover_every_catalogue_code_every_month(any_con, rules):
    con, as_of = any_con
    months = (as_of.year - (as_of.year - 2)) * 12 + as_of.month
    assert one(con, "SELECT count(*) FROM indicators") == 10 * months * len(rules.indicators)
    assert {r[0] for r in con.execute("SELECT DISTINCT indicator_code FROM indicators").fetchall()} == \
        {i.code for i in rules.indicators}
    percent = [i.code for i in rules.indicators if i.unit == "%"]
    assert one(con, "SELECT count(*) FROM indicators WHERE indicator_code IN (SELECT unnest(?)) "
                    "AND NOT value BETWEEN 0 AND 100", [percent]) == 0


def test_member_pipeline_counts_decrease_stage_by_stage(any_con, rules):
    con, _ = any_con
    stages = [i.code for i in sorted((i for i in rules.indicators if i.pipeline_stage),
                                     key=lambda i: i.pipeline_stage)]
    rows = con.execute("""SELECT unit_code, period, list(value ORDER BY array_position(?, indicator_code))
                          FROM indicators WHERE indicator_code IN (SELECT unnest(?)) GROUP BY ALL""",
                       [stages, stages]).fetchall()
    assert rows
    assert [r for r in rows if not all(a > b > 0 for a, b in zip(r[2], r[2][1:]))] == []


# --- problem snapshots -------------------------------------------------------------------------

def test_snapshots_every_sunday_for_26_weeks_and_on_the_as_of_date(con):
    days = [r[0] for r in con.execute("SELECT DISTINCT as_of FROM problem_snapshots ORDER BY 1").fetchall()]
    assert days[0] == dt.date(2026, 5, 24) and days[-2:] == [dt.date(2026, 11, 15), AS_OF]
    assert len(days) == 27 and all(d.isoweekday() == 7 for d in days[:-1])


def test_latest_snapshot_is_the_problems_table(any_con):
    con, as_of = any_con
    latest = "SELECT problem_id, status, due_date FROM problem_snapshots WHERE as_of = ?"
    table = "SELECT problem_id, status, due_date FROM problems"
    assert one(con, f"SELECT count(*) FROM (({latest}) EXCEPT ({table}))", [as_of]) == 0
    assert one(con, f"SELECT count(*) FROM (({table}) EXCEPT ({latest}))", [as_of]) == 0
    assert one(con, """SELECT count(*) FROM problem_snapshots s JOIN problems p USING (problem_id)
                       WHERE p.found_date > s.as_of""") == 0


def test_one_deadline_extended_between_two_snapshots(con):
    rows = con.execute("""SELECT problem_id, list(DISTINCT due_date ORDER BY due_date) FROM problem_snapshots
                          GROUP BY 1 HAVING count(DISTINCT due_date) > 1""").fetchall()
    assert rows == [("XC-2026-0018", [dt.date(2026, 8, 23), dt.date(2026, 12, 21)])]
    assert con.execute("SELECT status, due_date, severity FROM problems WHERE problem_id = 'XC-2026-0018'"
                       ).fetchone() == ("整改中", dt.date(2026, 12, 21), "严重")


def test_one_problem_reopened_after_close_out_and_no_other_goes_backwards(con):
    order = "array_position(['未启动', '整改中', '已完成待验收', '已销号'], status)"
    back = con.execute(f"""SELECT DISTINCT problem_id FROM (
                              SELECT problem_id, {order} - lag({order}) OVER (PARTITION BY problem_id
                                     ORDER BY as_of) AS step FROM problem_snapshots) WHERE step < 0""").fetchall()
    assert back == [("DC-2026-0010",)]
    history = [r[0] for r in con.execute("""SELECT status FROM problem_snapshots WHERE problem_id = 'DC-2026-0010'
                                            ORDER BY as_of""").fetchall()]
    assert history == ["未启动"] + ["整改中"] * 5 + ["已完成待验收"] * 2 + ["已销号"] * 8 + ["整改中"] * 9
    assert con.execute("""SELECT status, completed_date, closed_date, due_date < ? FROM problems
                          WHERE problem_id = 'DC-2026-0010'""", [AS_OF]).fetchone() == ("整改中", None, None, True)


# --- the planted shortfalls (as of 2026-11-21) -------------------------------------------------

def _annual_count(con, level: int, condition: str, params: list) -> int:
    return one(con, f"""SELECT count(*) FROM annual a JOIN units u USING (unit_code)
                        WHERE a.year = 2026 AND u.level = ? AND {condition}""", [level, *params])


def test_units_under_the_funds_line_this_year(con, rules):
    under = "a.fund_budget / a.payroll_prev_year * 100 < ?"
    assert _annual_count(con, 2, under, [rules.funds_min_ratio_pct]) == 2
    assert _annual_count(con, 3, under, [rules.funds_min_ratio_pct]) == 4


def test_units_under_the_assessment_weight_this_year(con, rules):
    under = "a.assessment_weight_pct < ?"
    assert _annual_count(con, 2, under, [rules.assessment_min_weight_pct]) == 2
    assert _annual_count(con, 3, under, [rules.assessment_min_weight_pct]) == 2
    # a weight of exactly the minimum meets the rule: the demo has units on the line
    assert _annual_count(con, 2, "a.assessment_weight_pct = ?", [rules.assessment_min_weight_pct]) == 1


def test_one_secondary_and_one_tertiary_unit_have_no_annual_row_this_year(con):
    missing = con.execute("""SELECT level, count(*) FROM units WHERE level IN (2, 3) AND unit_code NOT IN
                             (SELECT unit_code FROM annual WHERE year = 2026) GROUP BY 1 ORDER BY 1""").fetchall()
    assert missing == [(2, 1), (3, 1)]
    assert one(con, "SELECT count(*) FROM annual WHERE year < 2026") == 100


MISSED_MONTHLY = """
WITH months AS (SELECT CAST(unnest(generate_series(DATE '2024-01-01', ?, INTERVAL 1 MONTH)) AS DATE) AS m),
slots AS (
    SELECT u.unit_code, t.meeting_type, m.m FROM units u, (SELECT unnest(?) AS meeting_type) t, months m
    WHERE u.level = 4 AND m.m >= date_trunc('month', u.founded_date)),
marked AS (
    SELECT s.*, NOT EXISTS (SELECT 1 FROM meetings x WHERE x.unit_code = s.unit_code
                            AND x.meeting_type = s.meeting_type AND date_trunc('month', x.date) = s.m) AS missed
    FROM slots s),
paired AS (
    SELECT *, lag(missed) OVER (PARTITION BY unit_code, meeting_type ORDER BY m) AS missed_before FROM marked)
"""


def test_branches_missing_monthly_meetings_some_two_months_running(con, rules):
    monthly = [r.type for r in rules.meeting_rules if r.every == "month"]
    last_full_month = dt.date(2026, 10, 1)  # November has not ended on 21 November
    params = [last_full_month, monthly]
    assert one(con, MISSED_MONTHLY + "SELECT count(*) FROM paired WHERE missed", params) == 650
    assert one(con, MISSED_MONTHLY + "SELECT count(DISTINCT unit_code) FROM paired WHERE missed", params) == 214
    assert one(con, MISSED_MONTHLY + """SELECT count(DISTINCT unit_code) FROM paired
                                        WHERE missed AND missed_before""", params) == 25


def test_problems_overdue_closed_and_serious_open(con):
    assert con.execute("""SELECT count(*) FILTER (WHERE status <> '已销号' AND due_date < ?),
                                 count(*) FILTER (WHERE status = '已销号'),
                                 count(*) FILTER (WHERE status <> '已销号' AND severity = '严重')
                          FROM problems""", [AS_OF]).fetchone() == (12, 248, 4)


def test_secondary_units_without_supervision_or_research_this_year(con, rules):
    assert one(con, """SELECT count(*) FROM units u WHERE u.level IN (SELECT unnest(?)) AND NOT EXISTS (
                           SELECT 1 FROM supervision s WHERE s.unit_code = u.unit_code
                           AND s.kind IN (SELECT unnest(?)) AND year(s.start_date) = 2026)""",
               [list(rules.supervision_levels), list(rules.supervision_kinds)]) == 2


def test_units_not_inspected_in_the_current_cycle(con, rules):
    start, _ = rules.inspection_cycle(AS_OF)
    assert start == dt.date(2024, 1, 1)
    rows = con.execute("""SELECT u.level, count(*) FROM units u WHERE u.level IN (SELECT unnest(?)) AND NOT EXISTS (
                              SELECT 1 FROM supervision s WHERE s.unit_code = u.unit_code
                              AND s.kind IN (SELECT unnest(?)) AND s.start_date BETWEEN ? AND ?)
                          GROUP BY 1 ORDER BY 1""",
                       [list(rules.inspection_levels), list(rules.inspection_kinds), start, AS_OF]).fetchall()
    assert rows == [(2, 2), (3, 6)]


def test_some_activities_span_two_months(con):
    assert one(con, "SELECT count(*) FROM supervision WHERE month(start_date) <> month(end_date)") == 53


def test_standardisation_compliance_below_target_this_year(con, rules):
    compliant, total = con.execute(
        "SELECT count(*) FILTER (WHERE compliant), count(*) FROM ratings WHERE year = 2026").fetchone()
    assert (compliant, total) == (276, 300)
    assert compliant * 100 / total < rules.standardisation_target_pct


# --- load and clear ----------------------------------------------------------------------------

def test_clear_demo_empties_everything_and_remembers_it(tmp_path_factory):
    con = _loaded(tmp_path_factory, AS_OF)
    demo.clear_demo(con)
    sums = store.table_checksums(con)
    assert {name: sums[name][0] for name in CONTENT_TABLES} == dict.fromkeys(CONTENT_TABLES, 0)
    assert one(con, "SELECT count(*) FROM batches") == 0
    assert (store.meta_value(con, "demo"), store.meta_value(con, "demo_cleared")) == ("0", "1")
    assert store.data_version(con) == 2
    assert store.is_empty(con) and not store.is_demo(con)


def test_load_refuses_a_store_with_data_and_writes_nothing(con):
    before = store.table_checksums(con)
    with pytest.raises(demo.StoreNotEmpty):
        demo.load_demo(con, AS_OF)
    assert store.table_checksums(con) == before


def test_a_failure_half_way_rolls_everything_back(tmp_path, monkeypatch):
    con = store.open_store(tmp_path / "t.duckdb").cursor()
    before = store.table_checksums(con)
    real = demo._add_batch

    def failing(con, batch_id, dataset, rows, as_of):
        if dataset == "problems":
            raise RuntimeError("disk full")
        real(con, batch_id, dataset, rows, as_of)

    monkeypatch.setattr(demo, "_add_batch", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        demo.load_demo(con, AS_OF)
    assert store.table_checksums(con) == before


# --- command line ------------------------------------------------------------------------------

def test_cli_loads_refuses_a_second_load_and_clears(tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    assert main(["demo", "--as-of", "2026-11-21", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        f"已写入演示数据（虚构的“示范能源集团”），截至 2026-11-21，随机种子 {demo.DEMO_SEED}，用时 ")
    assert out[0].endswith(f" 秒，数据库 {db}：")
    assert out[1:] == ["  组织架构：351 行", "  年度指标：148 行", "  组织生活记录：41446 行", "  问题清单：279 行",
                       "  督查记录：242 行", "  达标创星：893 行", "  其他指标：3500 行", "  问题状态快照：7019 行"]

    assert main(["demo", "--db", db, "--lang", "en"]) == 2
    assert capsys.readouterr().err == (f"The database {db} already holds data; the demo data only loads into an "
                                       "empty database. To reload it, clear it first with --clear.\n")

    assert main(["demo", "--db", db, "--clear"]) == 0
    assert capsys.readouterr().out == f"已清除演示数据（{db}），应用不会再自动载入演示数据。\n"
    s = store.open_store(db)
    try:
        assert store.is_empty(s.cursor()) and store.meta_value(s.cursor(), "demo_cleared") == "1"
    finally:
        s.close()


def test_cli_reports_an_unusable_rules_file_in_one_line(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "rules.toml"
    bad.write_text("[funds]\nmin_ratio_pct = 'one'\n", encoding="utf-8")
    monkeypatch.setenv("DJ_RULES", str(bad))
    db = tmp_path / "cli.duckdb"
    assert main(["demo", "--as-of", "2026-11-21", "--db", str(db)]) == 2
    assert capsys.readouterr().err == "规则文件有误：assessment — 缺少此项\n"  # translated, as every command says it
    s = store.open_store(db)
    try:
        assert store.is_empty(s.cursor()) and not store.is_demo(s.cursor())
    finally:
        s.close()


# --- the benchmark sizes (the same generator) --------------------------------------------------

SIZED_CHECKSUMS = """
import datetime as dt, json, sys
from kpi import store
from kpi.datasets import DATASETS
from kpi.demo.sizes import load_sized
con = store.open_store(sys.argv[1]).cursor()
load_sized(con, "S", dt.date(2026, 11, 21))
sums = store.table_checksums(con)
print(json.dumps({name: sums[name] for name in (*DATASETS, "problem_snapshots")}))
"""


def test_a_benchmark_size_gives_the_same_rows_whatever_the_process_hash_seed(tmp_path):
    # Python salts str hashes per process: nothing the generator draws may depend on a set's order.
    runs = []
    for hash_seed in ("1", "2"):
        proc = subprocess.run([sys.executable, "-c", SIZED_CHECKSUMS, str(tmp_path / f"s{hash_seed}.duckdb")],
                              capture_output=True, text=True, timeout=300, cwd=ROOT,
                              env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs.append(json.loads(proc.stdout))
    assert runs[0] == runs[1]
    assert runs[0]["units"][0] == 351 and runs[0]["meetings"][0] > 40_000
