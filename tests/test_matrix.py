"""The unit × rule matrix: exact cells on a hand-computed store, every cell of the demo equal to the
metric function that owns the figure, and the XLSX export with the same colours."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from kpi.display import matrix_text, matrix_xlsx
from kpi.metrics import annual, coverage, meetings, overview, problems, ratings
from kpi.metrics.matrix import MATRIX_RULES, rule_matrix
from kpi.rules import MatrixBands
from kpi.store import bump_data_version, open_store
from tests.fixtures import overview_fixture as fx

DEMO_AS_OF = dt.date(2026, 11, 21)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The overview fixture (A and B, as of 2026-06-30) plus C: a secondary unit with no branch, no
    problem and no visit, whose funds are 10.2 万元 on a 1000 万元 payroll (1.02%: met, but by less
    than 5 % of the 1% rule) and whose weight and party-affairs staff are not reported."""
    st = fx.build(tmp_path_factory.mktemp("matrix") / "m.duckdb")
    con = st.cursor()
    con.execute("""INSERT INTO units (unit_code, unit_name, parent_code, level, org_type, member_count, staff_count)
                   VALUES ('C', '丙公司', 'G', 2, '党委', 10, 100)""")
    con.execute("""INSERT INTO annual (year, unit_code, payroll_prev_year, fund_budget)
                   VALUES (2026, 'C', 1000, 10.2)""")
    bump_data_version(con)
    yield st
    st.close()


def _grid(matrix) -> dict[str, list[tuple]]:
    out = {}
    for code in matrix.units.unit_code:
        row = []
        for rule in MATRIX_RULES:
            cell = matrix.cell(code, rule)
            value = None if pd.isna(cell["value"]) else round(cell["value"], 2)
            row.append((cell["status"], value))
        out[code] = row
    return out


def test_cells_equal_hand_computed_values(store, rules):
    matrix = rule_matrix(store.cursor(), rules, fx.AS_OF)
    # B breaks seven rules; C four (weight and party staff owed and not reported — 未报送, counted as
    # failing as the cards count them — no visit, no inspection); A one (meetings: 30 of 46 owed slots).
    assert list(matrix.units.unit_code) == ["B", "C", "A"]
    assert list(matrix.units.red) == [7, 4, 1]
    assert list(matrix.units.amber) == [1, 2, 2]
    assert _grid(matrix) == {
        # funds, weight, party staff, meetings, standardisation, overdue, supervision, inspection, unreported
        "A": [("green", 1.2), ("green", 12.0), ("green", 1.2), ("red", 65.22), ("green", 100.0), ("amber", 1.0),
              ("green", 100.0), ("amber", 50.0), ("green", 0.0)],
        "B": [("red", 0.75), ("red", 8.0), ("red", 0.8), ("red", 0.0), ("red", 0.0), ("amber", 1.0),
              ("red", 0.0), ("red", 0.0), ("green", 0.0)],
        "C": [("amber", 1.02), ("red", None), ("red", None), ("grey", None), ("grey", None), ("grey", None),
              ("red", 0.0), ("red", 0.0), ("amber", 2.0)],
    }
    assert matrix.cell("A", "meetings")["numerator"] == 30 and matrix.cell("A", "meetings")["denominator"] == 46
    assert matrix.cell("A", "inspection")["numerator"] == 1 and matrix.cell("A", "inspection")["denominator"] == 2
    assert [matrix.cell("C", rule)["note"] == "not_reported" for rule in ("funds", "weight", "party_staff")] == [
        False, True, True]


def test_an_unreported_figure_follows_the_rules_file(store, rules):
    """未报送 cells are red while the cards count a missing figure as failing ([annual]
    not_reported_counts_as = "failing"), grey when the share leaves it out ("excluded"); both say 未报送."""
    excluded = dataclasses.replace(rules, annual=dataclasses.replace(rules.annual, not_reported_counts_as="excluded"))
    for rule_set, status in ((rules, "red"), (excluded, "grey")):
        matrix = rule_matrix(store.cursor(), rule_set, fx.AS_OF)
        cell = matrix.cell("C", "weight")
        assert (cell["status"], pd.isna(cell["value"]), cell["note"]) == (status, True, "not_reported")
        assert (matrix_text.cell_text(cell, "zh"), matrix_text.cell_text(cell, "en")) == ("未报送", "not reported")
    assert list(rule_matrix(store.cursor(), excluded, fx.AS_OF).units.red) == [7, 2, 1]


def test_amber_bands_come_from_the_rules_file(store, rules):
    # No overdue problem tolerated: A's (and B's) one turns red; a 1% margin turns C's 1.02% green.
    wider = dataclasses.replace(rules, matrix=MatrixBands(near_pct=1.0, overdue_few=0))
    matrix = rule_matrix(store.cursor(), wider, fx.AS_OF)
    assert matrix.cell("C", "funds")["status"] == "green"
    assert matrix.cell("A", "overdue")["status"] == "red"
    assert list(matrix.units.red) == [8, 4, 2]
    assert list(matrix.units.amber) == [0, 1, 1]


def test_a_subtree_scope_has_its_children_as_rows(store, rules):
    matrix = rule_matrix(store.cursor(), rules, fx.AS_OF, "A")
    assert list(matrix.units.unit_code) == ["A1"]
    assert matrix.cell("A1", "meetings")["value"] == pytest.approx(3000 / 46)
    assert matrix.cell("A1", "overdue")["value"] == 1
    # 督查/调研 is checked on secondary units only (rules [supervision] levels = [2]): not applicable here.
    assert matrix.cell("A1", "supervision")["status"] == "grey"
    assert matrix.cell("A1", "inspection")["status"] == "green"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_store):
    st = open_store(demo_store(tmp_path_factory.mktemp("matrix-demo") / "demo.duckdb", DEMO_AS_OF))
    yield st
    st.close()


def _same(actual, expected) -> bool:
    if expected is None or pd.isna(expected):
        return pd.isna(actual)
    return actual == pytest.approx(float(expected))


def _fails(meets) -> bool:
    return not pd.isna(meets) and not bool(meets)


def test_every_demo_cell_is_the_value_of_the_metric_function(demo, rules):
    con = demo.cursor()
    matrix = rule_matrix(con, rules, DEMO_AS_OF)
    assert len(matrix.units) == 10 and len(matrix.cells) == 10 * len(MATRIX_RULES)
    funds = annual.funds_by_unit(demo.cursor(), rules, DEMO_AS_OF).set_index("unit_code")
    weight = annual.weight_by_unit(demo.cursor(), rules, DEMO_AS_OF).set_index("unit_code")
    staff = annual.party_staff_by_unit(demo.cursor(), rules, DEMO_AS_OF).set_index("unit_code")
    done = meetings.completion_by_unit(demo.cursor(), rules, DEMO_AS_OF).set_index("unit_code")
    std = ratings.compliance_by_unit(demo.cursor(), rules, DEMO_AS_OF).set_index("unit_code")
    for code in matrix.units.unit_code:
        expected = {
            "funds": funds.loc[code, "fund_ratio_pct"],
            "weight": weight.loc[code, "assessment_weight_pct"],
            "party_staff": staff.loc[code, "party_staff_ratio_pct"],
            "meetings": done.loc[code, "completion_pct"],
            "standardisation": std.loc[code, "compliance_pct"],
            "overdue": problems.problem_headlines(demo.cursor(), DEMO_AS_OF, code)["overdue"].value,
            "supervision": coverage.coverage(demo.cursor(), rules, DEMO_AS_OF, code, 2, rules.supervision_kinds,
                                             "year").value,
            "inspection": overview.inspection_cycle_coverage(demo, rules, DEMO_AS_OF, code).value,
            # the annual rules the cards count as not reported (未报送) for the unit
            "unreported": sum(v == "not_reported" for v in (funds.loc[code, "funds_ratio_status"],
                                                            weight.loc[code, "assessment_weight_status"],
                                                            staff.loc[code, "party_staff_status"])),
        }
        for rule, value in expected.items():
            assert _same(matrix.cell(code, rule)["value"], value), (code, rule)
        # red is exactly what the metric itself calls failing
        # (or, as the cards count it, owes the figure and has not reported it: 未报送)
        unreported = funds.loc[code, "funds_ratio_status"] == "not_reported"
        assert (matrix.cell(code, "funds")["status"] == "red") == (_fails(funds.loc[code, "meets_funds"]) or unreported)
        assert (matrix.cell(code, "standardisation")["status"] == "red") == _fails(std.loc[code, "meets_target"])
    # the demo's one secondary unit without this year's row: nothing reported, as the cards count it
    missing = funds[funds.funds_ratio_status == "not_reported"].index.tolist()
    assert len(missing) == 1
    cell = matrix.cell(missing[0], "unreported")
    assert (cell["status"], cell["value"]) == ("red", 3)
    # the demo has red, amber and green cells (grey only where a figure is missing and not owed), worst unit first
    assert set(matrix.cells.status) == {"red", "amber", "green"}
    reds = list(matrix.units.red)
    assert reds == sorted(reds, reverse=True)


def test_xlsx_has_the_cells_their_colours_and_no_formulas(store, rules):
    matrix = rule_matrix(store.cursor(), rules, fx.AS_OF)
    names = {"A": "=HYPERLINK(\"http://x\")", "B": "乙公司", "C": "丙公司"}
    matrix.units["unit_name"] = matrix.units.unit_code.map(names)
    book = load_workbook(io.BytesIO(matrix_xlsx.matrix_xlsx_bytes(matrix, "zh")))
    sheet = book.active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["单位", "经费", "考核权重", "专职党务", "三会一课", "标准化", "问题整改", "督查调研",
                       "巡察覆盖", "未报送"]
    assert rows[1] == ["乙公司", "0.75%", "8.0%", "0.80%", "0.0%", "0.0%", "超期 1 个", "未覆盖", "0/2", "已报送"]
    assert rows[3][0] == "'=HYPERLINK(\"http://x\")"
    assert rows[2][:6] == ["丙公司", "1.02%", "未报送", "未报送", "无数据", "无数据"]
    fills = {sheet.cell(2, 2).fill.fgColor.rgb[-6:], sheet.cell(2, 7).fill.fgColor.rgb[-6:],
             sheet.cell(3, 5).fill.fgColor.rgb[-6:], sheet.cell(4, 2).fill.fgColor.rgb[-6:]}
    assert sheet.cell(3, 3).fill.fgColor.rgb[-6:] == matrix_xlsx.FILLS["red"]
    assert fills == {matrix_xlsx.FILLS[s] for s in ("red", "amber", "grey", "green")}
    assert all(not isinstance(c.value, str) or not c.value.startswith("=") for row in sheet.iter_rows() for c in row)


def _counts(cell) -> tuple:
    value = None if pd.isna(cell["value"]) else round(float(cell["value"]), 6)
    numerator = None if pd.isna(cell["numerator"]) else int(cell["numerator"])
    denominator = None if pd.isna(cell["denominator"]) else int(cell["denominator"])
    return value, numerator, denominator


def _headline_counts(h) -> tuple:
    return (None if h.value is None else round(float(h.value), 6), h.numerator, h.denominator)


@pytest.mark.parametrize("as_of", [DEMO_AS_OF, dt.date(2026, 1, 1), dt.date(2025, 6, 30)])
def test_set_wise_columns_equal_the_metric_called_per_unit(demo, rules, as_of):
    """The overdue, supervision and inspection columns are computed for all rows in one statement;
    each cell must equal the scope-wide metric called with the row's unit as root — for the whole
    group, a secondary unit (its level-3 units as rows) and a level-3 unit (its branches), at today's
    as-of, the first day of a year and a past date (when some units were not founded yet)."""
    secondary = demo.cursor().execute("SELECT min(unit_code) FROM units WHERE level = 2").fetchone()[0]
    third = demo.cursor().execute("SELECT min(unit_code) FROM units WHERE level = 3 AND parent_code = $p",
                         {"p": secondary}).fetchone()[0]
    overdue_seen = 0
    for root in (None, secondary, third):
        matrix = rule_matrix(demo.cursor(), rules, as_of, root)
        assert len(matrix.units) > 0
        level = int(matrix.units.level.iloc[0])
        for code in matrix.units.unit_code:
            overdue = problems.problem_headlines(demo.cursor(), as_of, code)["overdue"]
            assert _counts(matrix.cell(code, "overdue")) == _headline_counts(overdue), (root, code)
            overdue_seen += overdue.value or 0
            cycle = overview.inspection_cycle_coverage(demo, rules, as_of, code)
            assert _counts(matrix.cell(code, "inspection")) == _headline_counts(cycle), (root, code)
            if level in rules.supervision_levels:
                visit = coverage.coverage(demo.cursor(), rules, as_of, code, level, rules.supervision_kinds, "year")
                assert _counts(matrix.cell(code, "supervision")) == _headline_counts(visit), (root, code)
            else:
                assert matrix.cell(code, "supervision")["status"] == "grey"
    # the comparison is not vacuous: the demo has overdue problems at each of these dates
    assert overdue_seen > 0
