"""Import vocabulary (issue 14, item 7): other spellings of enumerated values, listed once in
data/aliases.toml, are stored as the canonical value; anything else is still refused with the
allowed list; the table itself is validated, naming the wrong entry."""
from __future__ import annotations

from pathlib import Path

import pytest

from kpi.importing.aliases import AliasesError, aliases_from_dict, load_aliases
from kpi.importing.commit import commit_upload
from kpi.importing.errors import UploadRefused
from kpi.importing.parse import parse_upload
from kpi.rules import load_rules
from tests.fixtures.import_fixtures import org_store

CORPUS = Path(__file__).resolve().parent / "data" / "import"
RULES = load_rules()
MEET_H = "单位编码,会议类型,日期,应到人数,实到人数,主题\r\n"
CHOICES_MEETING = "支部党员大会、支部委员会会议、党小组会、党课、主题党日、组织生活会、民主评议党员、谈心谈话"


@pytest.fixture
def con(tmp_path):
    store = org_store(tmp_path / "t.duckdb")
    yield store.cursor()
    store.close()


def _parse(con, name: str, dataset: str):
    return parse_upload((CORPUS / name).read_bytes(), name, dataset, con, RULES)


def test_the_default_table_holds_the_common_spellings():
    table = load_aliases()
    assert {alias: table["meeting_type"][alias] for alias in ("支委会", "支部委员会", "党员大会", "主题党日活动",
                                                               "党小组会议", "专题组织生活会")} == {
        "支委会": "支部委员会会议", "支部委员会": "支部委员会会议", "党员大会": "支部党员大会",
        "主题党日活动": "主题党日", "党小组会议": "党小组会", "专题组织生活会": "组织生活会"}
    assert (table["status"]["正在整改"], table["status"]["已关闭"], table["severity"]["较严重"],
            table["source"]["自查自纠"], table["kind"]["专题调研"]) == ("整改中", "已销号", "较重", "自查", "调研")
    # 已整改 could mean 已完成待验收 or 已销号: deliberately not listed, so still refused.
    assert "已整改" not in table["status"]


def test_aliases_are_stored_as_canonical_values(con):
    parsed = _parse(con, "meetings_aliases.csv", "meetings")
    assert parsed.errors == []
    commit_upload(con, parsed, "tester")
    assert con.execute("SELECT unit_code, meeting_type, strftime(date, '%Y-%m-%d'), expected, attended, topic "
                       "FROM meetings ORDER BY unit_code, date").fetchall() == [
        ("B0111", "支部委员会会议", "2025-03-05", 5, 5, None),    # 支委会
        ("B0111", "党小组会", "2025-03-08", None, None, None),        # 党小组会议
        ("B0111", "支部委员会会议", "2025-04-05", None, None, None),  # 支部委员会
        ("B0111", "组织生活会", "2025-12-20", None, None, None),      # 专题组织生活会
        ("B0112", "支部党员大会", "2025-03-06", 20, 18, "一季度大会"),  # 党员大会
        ("B0112", "主题党日", "2025-03-07", None, None, None),        # 主题党日活动
        ("B0112", "支部委员会会议", "2025-03-09", None, None, None),  # " 支 委 会 " (spaces ignored)
        ("B0112", "党课", "2025-03-10", None, None, None),            # canonical already
        ("B0112", "民主评议党员", "2025-12-21", None, None, None)]    # 民主评议
    problems = _parse(con, "problems_aliases.csv", "problems")
    assert problems.errors == []
    commit_upload(con, problems, "tester")
    assert con.execute("SELECT problem_id, source, severity, status FROM problems ORDER BY problem_id").fetchall() == [
        ("P801", "巡察", "较重", "整改中"), ("P802", "自查", "严重", "已完成待验收"),
        ("P803", "审计", "一般", "已销号")]


def test_unknown_values_are_still_refused_with_the_allowed_list(con):
    parsed = _parse(con, "meetings_bad_type.csv", "meetings")
    assert [e.message("zh") for e in parsed.errors] == [
        f"第 2 行，“会议类型”列，值“党员座谈会”：不是允许的取值，可选：{CHOICES_MEETING}"]
    assert [e.message("en") for e in parsed.errors] == [
        f"row 2, column “会议类型”, value “党员座谈会”: not an allowed value; choose one of: {CHOICES_MEETING}"]
    # An alias belongs to its column only: 支部 is an 组织类型 spelling, not a meeting type.
    data = (MEET_H + "B0111,支部,2025-03-05,,,\r\n").encode()
    other = parse_upload(data, "m.csv", "meetings", con, RULES)
    assert [e.message("zh") for e in other.errors] == [
        f"第 2 行，“会议类型”列，值“支部”：不是允许的取值，可选：{CHOICES_MEETING}"]


def test_the_table_is_read_from_dj_aliases_and_reread_when_edited(con, tmp_path, monkeypatch):
    table = tmp_path / "aliases.toml"
    table.write_text('[meeting_type]\n"党课" = ["微党课"]\n', encoding="utf-8")
    monkeypatch.setenv("DJ_ALIASES", str(table))
    data = (MEET_H + "B0111,微党课,2025-03-05,,,\r\nB0111,支委会,2025-03-06,,,\r\n").encode()
    parsed = parse_upload(data, "m.csv", "meetings", con, RULES)
    assert parsed.frame["meeting_type"].tolist() == ["党课"]
    assert [e.message("zh") for e in parsed.errors] == [
        f"第 3 行，“会议类型”列，值“支委会”：不是允许的取值，可选：{CHOICES_MEETING}"]
    table.write_text('[meeting_type]\n"党课" = ["微党课"]\n"支部委员会会议" = ["支委会"]\n', encoding="utf-8")
    parsed = parse_upload(data, "m.csv", "meetings", con, RULES)
    assert (parsed.errors, parsed.frame["meeting_type"].tolist()) == ([], ["党课", "支部委员会会议"])


def test_a_broken_table_refuses_the_upload_naming_the_entry(con, tmp_path, monkeypatch):
    table = tmp_path / "aliases.toml"
    table.write_text('[meeting_type]\n"支委会议" = ["支委"]\n', encoding="utf-8")
    monkeypatch.setenv("DJ_ALIASES", str(table))
    with pytest.raises(UploadRefused) as caught:
        parse_upload((MEET_H + "B0111,党课,2025-03-05,,,\r\n").encode(), "m.csv", "meetings", con, RULES)
    assert [e.message("zh") for e in caught.value.errors] == [
        "整个文件：导入写法对照表（data/aliases.toml）中的 meeting_type.支委会议 有误，"
        "暂时无法核对取值，请管理员修正后再上传"]


@pytest.mark.parametrize(("table", "zh", "en"), [
    ({"topic": {"党课": ["微党课"]}}, "导入写法对照表有误：topic — 未知的键（是否拼写有误？）",
     "Import aliases file error: topic — unknown key (a typo?)"),
    ({"severity": {"特别严重": ["特重"]}},
     "导入写法对照表有误：severity.特别严重 — “特别严重”不是允许的取值（一般、较重、严重）",
     "Import aliases file error: severity.特别严重 — “特别严重” is not one of the allowed values (一般、较重、严重)"),
    ({"status": {"整改中": ["已销号"]}},
     "导入写法对照表有误：status.整改中 — “已销号”本身就是允许的取值，不能作为其他写法",
     "Import aliases file error: status.整改中 — “已销号” is itself an allowed value and cannot be an alias"),
    ({"status": {"已完成待验收": ["已整改"], "已销号": ["已 整改"]}},
     "导入写法对照表有误：status.已销号 — “已 整改”已对应“已完成待验收”，同一写法只能对应一个取值",
     "Import aliases file error: status.已销号 — “已 整改” already stands for “已完成待验收”; "
     "a spelling may stand for one value only"),
    ({"meeting_type": {"党课": "微党课"}},
     "导入写法对照表有误：meeting_type.党课 — 应为非空文字的列表，如 [\"支委会\", \"支部委员会\"]",
     "Import aliases file error: meeting_type.党课 — must be a list of non-empty texts, "
     "e.g. [\"支委会\", \"支部委员会\"]"),
])
def test_a_wrong_entry_is_refused_naming_it(table, zh, en):
    with pytest.raises(AliasesError) as caught:
        aliases_from_dict(table)
    assert (caught.value.message("zh"), caught.value.message("en")) == (zh, en)


def test_a_missing_table_is_refused(tmp_path):
    with pytest.raises(AliasesError) as caught:
        load_aliases(tmp_path / "none.toml")
    assert caught.value.message("zh") == f"导入写法对照表有误：{tmp_path / 'none.toml'} — 找不到导入写法对照表"
