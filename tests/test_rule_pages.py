"""The 经费与考核, 达标创星 and 其他指标 pages on the rule_fixtures store, in Chinese and English, and
after a rule is changed in a copy of the rules file. Numbers are those computed by hand in
rule_fixtures / test_annual / test_ratings / test_indicators."""
import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpi.charts import theme
from kpi.config import DEFAULT_RULES_PATH
from kpi.store import open_store, set_meta
from tests.fixtures.apptest_helpers import signed_in
from tests.fixtures.rule_fixtures import build_rule_store

AS_OF = dt.date(2025, 6, 30)
ZH_SUB = "<br><sup>截至 2025-06-30 · 全集团</sup>"
EN_SUB = "<br><sup>As of 2025-06-30 · Whole group</sup>"


@pytest.fixture
def store_path(tmp_path, monkeypatch):
    path = tmp_path / "t.duckdb"
    build_rule_store(path).close()
    monkeypatch.setenv("DJ_DB", str(path))
    monkeypatch.delenv("DJ_RULES", raising=False)
    return path


def open_page(page: str, lang: str = "zh") -> AppTest:
    at = signed_in(AppTest.from_file("../app.py"))
    at.session_state["as_of"] = AS_OF
    at.session_state["lang"] = lang
    at.run(timeout=60)
    assert not at.exception
    at.switch_page(page).run(timeout=60)
    assert not at.exception
    return at


def charts(at: AppTest) -> dict[str, dict]:
    """Plotly specs on screen by title (subtitle stripped)."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {s["layout"]["title"]["text"].split("<br>")[0]: s for s in specs}


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_funds_page_in_chinese(store_path):
    at = open_page("pages/funds.py")
    assert metrics(at) == {"经费比例达标": "66.7%", "考核权重达标": "66.7%", "专职党务人员达标": "66.7%"}
    shown = charts(at)
    assert list(shown) == ["党组织工作经费预算占上年度职工工资总额比例", "党组织工作经费执行率（实际支出 ÷ 预算）",
                           "党建考核在经营业绩考核中的权重", "专职党务工作人员占职工总数比例",
                           "历年达标单位占比（有数据的单位中）"]
    funds = shown["党组织工作经费预算占上年度职工工资总额比例"]
    assert funds["layout"]["title"]["text"].endswith(ZH_SUB)
    bars, missing = funds["data"]
    assert bars["y"] == ["第一分公司", "第三分公司", "第二分公司"]
    assert bars["x"] == pytest.approx([1.04, 1.0, 0.75])
    assert bars["marker"]["color"] == [theme.PRIMARY, theme.PRIMARY, theme.BAD]
    assert bars["customdata"][2][:2] == ["第二分公司", "S2"]
    # Hover values formatted in Python (2 decimals for a ratio near the 1% rule), never None or NaN.
    assert bars["customdata"][2][2:] == ["0.75%", "8,000.0", "60.0", "80.0", "20.0"]
    assert bars["text"] == ["1.04%", "1.00%", "0.75%"]
    assert (missing["y"], missing["text"]) == (["第四分公司"], ["无数据"])
    assert funds["layout"]["shapes"][0]["x0"] == 1.0
    assert funds["layout"]["annotations"][0]["text"] == "要求 ≥ 1%"
    trend = shown["历年达标单位占比（有数据的单位中）"]["data"]
    assert trend[0]["x"] == ["2024", "2025", "2026"]
    assert trend[0]["y"] == pytest.approx([100.0, 200 / 3, 100.0])
    assert trend[1]["y"][:2] == pytest.approx([50.0, 200 / 3]) and trend[1]["y"][2] is None
    table = next(d.value for d in at.dataframe if {"权重差距（百分点）", "经费缺口（万元）"} <= set(d.value.columns))
    assert table["单位编码"].tolist() == ["S2", "S3"]
    assert table["经费缺口（万元）"].tolist() == [20.0, 0.0]
    assert table["权重差距（百分点）"].tolist() == [0.0, 2.0]


def test_funds_page_in_english_and_level_three(store_path):
    at = open_page("pages/funds.py", "en")
    assert metrics(at) == {"Funds ratio met": "66.7%", "Assessment weight met": "66.7%",
                           "Party-affairs staff met": "66.7%"}
    funds = charts(at)["Party work funds budget as % of previous year's payroll"]
    assert funds["layout"]["title"]["text"].endswith(EN_SUB)
    assert funds["data"][1]["text"] == ["no data"]
    at.radio(key="funds_level").set_value(3).run(timeout=60)
    assert not at.exception
    funds = charts(at)["Party work funds budget as % of previous year's payroll"]
    assert funds["data"][0]["y"] == ["一分一厂"] and funds["data"][0]["x"] == [0.9]
    assert funds["data"][1]["y"] == ["一分二厂", "二分一厂", "三分一厂"]
    assert metrics(at)["Funds ratio met"] == "0.0%"


def test_weight_rule_from_edited_rules_file_changes_the_page(store_path, tmp_path, monkeypatch):
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    assert "min_weight_pct = 10.0" in text
    edited = Path(tmp_path / "rules.toml")
    edited.write_text(text.replace("min_weight_pct = 10.0", "min_weight_pct = 12"), encoding="utf-8")
    monkeypatch.setenv("DJ_RULES", str(edited))
    at = open_page("pages/funds.py")
    assert metrics(at)["考核权重达标"] == "33.3%"
    weight = charts(at)["党建考核在经营业绩考核中的权重"]
    assert weight["data"][0]["y"] == ["第一分公司", "第二分公司", "第三分公司"]
    assert weight["data"][0]["marker"]["color"] == [theme.PRIMARY, theme.BAD, theme.BAD]
    assert weight["layout"]["shapes"][0]["x0"] == 12.0
    assert weight["layout"]["annotations"][0]["text"] == "要求 ≥ 12%"


def test_ratings_page(store_path):
    at = open_page("pages/ratings.py")
    assert metrics(at) == {"支部标准化规范化达标率": "60.0%"}
    shown = charts(at)
    compliance = shown["各单位支部标准化规范化达标率"]
    assert compliance["layout"]["title"]["text"].endswith(ZH_SUB)
    assert compliance["data"][0]["y"] == ["第二分公司", "第一分公司", "第三分公司"]
    assert compliance["data"][0]["x"] == pytest.approx([100.0, 200 / 3, 0.0])
    assert compliance["layout"]["annotations"][0]["text"] == "目标 95%"
    stars = shown["各单位支部星级分布"]["data"]
    assert [(s["name"], s["x"], s["y"]) for s in stars] == [
        ("2 星", ["第一分公司"], [1]), ("3 星", ["第一分公司", "第三分公司"], [1, 1]),
        ("4 星", ["第一分公司"], [1]), ("5 星", ["第二分公司"], [1])]
    at.selectbox(key="ratings_branch").set_value("B121").run(timeout=60)
    radar = charts(at)["二厂第一支部“六个基本”得分与所在二级单位平均"]["data"]
    assert radar[0]["name"] == "第一分公司平均"
    assert radar[0]["r"] == pytest.approx([230 / 3, 75, 72, 214 / 3, 80, 226 / 3, 230 / 3])
    assert radar[1]["r"] == [60, 65, 58, 62, 70, 66, 60]
    assert radar[1]["theta"][:2] == ["基本组织", "基本队伍"]


def test_ratings_page_in_english(store_path):
    at = open_page("pages/ratings.py", "en")
    assert metrics(at) == {"Branch standardisation compliance": "60.0%"}
    assert list(charts(at)) == ["Branch standardisation compliance by unit", "Branches by star rating, per unit",
                                "Six basics of 一厂第一支部 against its secondary unit's average"]


def test_indicators_page(store_path):
    at = open_page("pages/indicators.py")
    assert metrics(at) == {"理论学习覆盖率": "97.5%"}
    shown = charts(at)
    series = shown["理论学习覆盖率：各单位范围、中位数与目标"]
    # The group's range (lowest–highest) and median per period, not one tangled line per unit.
    assert [(s.get("name"), s["x"], s["y"]) for s in series["data"]] == [
        (None, ["2025年5月", "2025年6月"], [98.0, 97.5]),
        ("各单位范围（最低–最高）", ["2025年5月", "2025年6月"], [99.0, 97.5]),
        ("各单位中位数", ["2025年5月", "2025年6月"], [98.5, 97.5])]
    assert series["layout"]["shapes"][0]["y0"] == 98.0
    assert series["layout"]["annotations"][0]["text"] == "目标 98%"
    at.selectbox(key="indicators_highlight_theory_study_coverage").set_value("S1").run(timeout=60)
    unit = charts(at)["理论学习覆盖率：各单位范围、中位数与目标"]["data"][-1]
    assert (unit["name"], unit["x"], unit["y"]) == ("第一分公司", ["2025年5月", "2025年6月"], [98.0, 97.5])
    funnel = shown["党员发展流程（各阶段人数）"]["data"][0]
    assert funnel["y"] == ["入党申请人", "入党积极分子", "发展对象", "预备党员", "正式党员"]
    assert funnel["x"] == [9.0, 4.0, 2.0, None, 38.0]
    assert funnel["text"][3] == "无数据"
    at.selectbox(key="indicators_code").set_value("publicity_articles").run(timeout=60)
    series = charts(at)["宣传稿件数：各单位范围、中位数与目标"]
    assert series["data"][2]["name"] == "各单位中位数" and series["data"][2]["y"] == [7.0, 2.0]


def test_indicators_page_in_english(store_path):
    at = open_page("pages/indicators.py", "en")
    assert metrics(at) == {"Theory study coverage": "97.5%"}
    shown = charts(at)
    assert "Theory study coverage: range across units, median and target" in shown
    funnel = shown["Member-development pipeline (people per stage)"]["data"][0]
    assert funnel["y"][0] == "Applicants for membership" and funnel["text"][3] == "no data"


def test_empty_store_says_which_upload_is_missing(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    store = open_store(path)
    con = store.cursor()
    con.execute("INSERT INTO units (unit_code, unit_name, parent_code, level, org_type) VALUES "
                "('G', '示例集团', NULL, 1, '党委'), ('S1', '第一分公司', 'G', 2, '党委')")
    set_meta(con, "demo_cleared", "1")
    store.close()
    monkeypatch.setenv("DJ_DB", str(path))
    monkeypatch.delenv("DJ_RULES", raising=False)
    infos = {page: [i.value for i in open_page(page).info]
             for page in ("pages/funds.py", "pages/ratings.py", "pages/indicators.py")}
    assert infos == {
        "pages/funds.py": ["暂无本年度经费与考核数据：请在“数据上传”页上传“年度指标”。"],
        "pages/ratings.py": ["暂无支部达标创星评定数据：请在“数据上传”页上传“达标创星”。"],
        "pages/indicators.py": ["暂无其他指标数据：请在“数据上传”页上传“其他指标”。",
                                "暂无党员发展数据：请在“数据上传”页上传“其他指标”。"],
    }
