"""parse_upload over the corpus in tests/data/import: every good file loads to exactly the expected
rows, every bad file is refused or flagged with exactly the expected messages."""
from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kpi.datasets import get_dataset
from kpi.importing.errors import UploadRefused
from kpi.importing.parse import error_report_xlsx, parse_upload, sha256_of
from kpi.rules import load_rules
from tests.fixtures.import_fixtures import org_store

CORPUS = Path(__file__).resolve().parent / "data" / "import"
RULES = load_rules()
CHOICES_MEETING = "支部党员大会、支部委员会会议、党小组会、党课、主题党日、组织生活会、民主评议党员、谈心谈话"
DATE_HINT = "不是有效日期，可写作 2025-03-05、2025/3/5、2025年3月5日 或 20250305"
NOT_TEXT = "整个文件：这不是文本格式的 CSV 文件（内容为 {} 格式），请上传 CSV 或 Excel（.xlsx）文件"
PERIOD_HINT = "不是有效年月，应写作 2025-03、2025年3月 或 202503"
INDICATOR_CHOICES = ("theory_study_coverage（理论学习覆盖率）、dues_collection_rate（党费收缴率）、"
                     "publicity_articles（宣传稿件数）、suggestion_adoption_rate（合理化建议采纳率）、"
                     "staff_satisfaction（职工满意度）、applicants（入党申请人）、activists（入党积极分子）、"
                     "development_targets（发展对象）、probationary_members（预备党员）、full_members（正式党员）")


@pytest.fixture
def con(tmp_path):
    store = org_store(tmp_path / "t.duckdb")
    yield store.cursor()
    store.close()


def parse(con, name: str, dataset: str, rules=RULES, **options):
    return parse_upload((CORPUS / name).read_bytes(), name, dataset, con, rules, **options)


def records(frame: pd.DataFrame) -> list[dict]:
    """Frame rows with dates as ISO text and every missing value as None."""
    out = []
    for rec in frame.to_dict("records"):
        out.append({k: (None if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)
                        else v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else v) for k, v in rec.items()})
    return out


def full(dataset: str, **values) -> dict:
    """An expected row: every column of the dataset, None where not given."""
    return {name: values.get(name) for name in get_dataset(dataset).names}


def annual(year, unit, payroll, budget, spent=None, weight=None, score=None, rating=None, staff=None):
    return full("annual", year=year, unit_code=unit, payroll_prev_year=payroll, fund_budget=budget, fund_spent=spent,
                assessment_weight_pct=weight, assessment_score=score, secretary_rating=rating, party_staff=staff)


def meeting(unit, kind, date, expected=None, attended=None, topic=None):
    return full("meetings", unit_code=unit, meeting_type=kind, date=date, expected=expected, attended=attended,
                topic=topic)


def indicator(unit, period, code, value):
    return full("indicators", unit_code=unit, period=period, indicator_code=code, value=value)


def unit(code, name, parent, level, org_type, members=None, staff=None, founded=None):
    return full("units", unit_code=code, unit_name=name, parent_code=parent, level=level, org_type=org_type,
                member_count=members, staff_count=staff, founded_date=founded)


def rating(unit_code, stars, scores, compliant):
    names = ("basic_org", "basic_team", "basic_activity", "basic_role", "basic_system", "basic_support")
    return full("ratings", year=2025, unit_code=unit_code, stars=stars, compliant=compliant,
                **dict(zip(names, scores)))


MEET_GOOD = [meeting("B0111", "党课", "2025-03-05", 20, 18, "学习二十届三中全会精神"),
             meeting("B0112", "主题党日", "2025-03-12", 15, 15, "志愿服务")]

# file → (dataset, options, expected rows, expected file rows, extra attributes to check)
GOOD = {
    "annual_gbk_title_total.csv": ("annual", {}, [
        annual(2025, "S01", 1200.0, 12.5, 10.0, 10.0, 92.0, "好", 3),
        annual(2025, "S02", 800.0, 6.0, 5.5, 8.0, 85.5, "较好", 1)], [4, 5],
        {"encoding": "gb18030", "dropped": {"title": 1, "notes": 0, "total": 1, "empty": 0, "duplicate": 0}}),
    "annual_utf8_bom_money_forms.csv": ("annual", {}, [
        annual(2025, "S01", 1234.5, 13.0, 3.0, 12.5, 90.0, "好", 2),
        annual(2025, "S02", 2000.0, 20.0, None, 10.0)], [2, 3], {"encoding": "utf-8-sig"}),
    "annual_excel_percent_fraction.xlsx": ("annual", {}, [
        annual(2025, "S01", 1200.0, 12.5, 10.0, 10.0, 92.0, "好", 3),
        annual(2025, "S02", 800.0, 6.0, 5.5, 12.5, 85.0, "一般", 1)], [2, 3],
        {"encoding": None, "sheets": ["年度指标"]}),
    "annual_header_variants.csv": ("annual", {}, [
        annual(2024, "S09", 500.0, 5.0, 4.0, 10.0, 88.0, "好")], [2], {"unmapped": ["备注"], "mapping": {
            "年份": "year", "单位 代码": "unit_code", "上年度职工工资总额(万元)": "payroll_prev_year",
            "党组织工作经费预算": "fund_budget", "经费支出": "fund_spent", "党建考核权重【%】": "assessment_weight_pct",
            "考核得分": "assessment_score", "评议等次": "secretary_rating"}}),
    "annual_english_headers.csv": ("annual", {}, [
        annual(2025, "S01", 1000.0, 10.0, 9.0, 10.0, 95.0, "好", 2)], [2], {}),
    "annual_semicolon.csv": ("annual", {}, [annual(2025, "S01", 1000.5, 10.0)], [2], {"delimiter": ";"}),
    "meetings_utf16_tab.csv": ("meetings", {}, MEET_GOOD, [2, 3], {"encoding": "utf-16", "delimiter": "\t"}),
    "meetings_utf16be.csv": ("meetings", {}, MEET_GOOD, [2, 3], {"encoding": "utf-16", "delimiter": ","}),
    "meetings_utf8_plain.csv": ("meetings", {}, MEET_GOOD, [2, 3], {"encoding": "utf-8"}),
    "meetings_crlf_blank_rows.csv": ("meetings", {}, MEET_GOOD, [3, 5],
                                     {"dropped": {"title": 0, "notes": 0, "total": 0, "empty": 4, "duplicate": 0}}),
    "meetings_duplicate_rows.csv": ("meetings", {}, MEET_GOOD, [2, 3],
                                    {"dropped": {"title": 0, "notes": 0, "total": 0, "empty": 0, "duplicate": 1}}),
    "meetings_dates_all_forms.csv": ("meetings", {}, [
        meeting("B0111", "党课", "2025-03-05"), meeting("B0111", "主题党日", "2025-03-06"),
        meeting("B0111", "党小组会", "2025-03-07"), meeting("B0111", "支部委员会会议", "2025-03-08"),
        meeting("B0112", "党课", "2025-03-09"), meeting("B0112", "主题党日", "2025-03-15"),
        meeting("B0112", "党小组会", "2025-03-11")], [2, 3, 4, 5, 6, 7, 8], {}),
    "meetings_unit_names.csv": ("meetings", {}, [
        meeting("B0111", "党课", "2025-03-05", 20, 18), meeting("B0112", "党课", "2025-03-05", 10, 9)], [2, 3], {}),
    "meetings_gb18030_rare_chars.csv": ("meetings", {}, [
        meeting("B0111", "党课", "2025-03-05", 20, 18, "走访𬌗𠀀村镕基")], [2], {"encoding": "gb18030"}),
    "meetings_quoted_newline.csv": ("meetings", {}, [
        meeting("B0111", "党课", "2025-03-05", 20, 18, "第一部分：理论学习，\n第二部分：交流"),
        meeting("B0112", "党课", "2025-03-06", 10, 10, "“两学一做”")], [2, 3], {}),
    "meetings_excel_cells.xlsx": ("meetings", {}, [
        meeting("B0111", "党课", "2025-03-05", 20, 18, "党课"), meeting("B0112", "党课", "2025-03-06", 10, 9),
        meeting("B0211", "主题党日", "2025-03-07", 12, 12, "主题党日")], [4, 5, 6],
        {"dropped": {"title": 1, "notes": 0, "total": 1, "empty": 1, "duplicate": 0}}),
    "meetings_english_enum.csv": ("meetings", {}, [
        meeting("B0111", "主题党日", "2025-03-05"), meeting("B0111", "党课", "2025-03-06")], [2, 3], {}),
    "meetings_spaced_values.csv": ("meetings", {}, [
        meeting("B0111", "党课", "2025-03-05", 20, 18), meeting("B0112", "主题党日", "2025-03-06")], [2, 3], {}),
    "meetings_fullwidth.csv": ("meetings", {}, [
        meeting("B0111", "党课", "2025-03-05", 20, 18, "全角，标点")], [2], {}),
    "meetings_months_sheets.xlsx": ("meetings", {"all_sheets": True}, [
        meeting("B0111", "支部委员会会议", "2025-01-06", 5, 5, "一月支委会"),
        meeting("B0111", "支部委员会会议", "2025-02-10", 5, 4, "二月支委会"),
        meeting("B0112", "党小组会", "2025-02-11", 8, 8),
        meeting("B0111", "支部委员会会议", "2025-03-03", 5, 5, "三月支委会")], [2, 2, 3, 2],
        {"row_sheets": ["1月", "2月", "2月", "3月"], "sheets": ["1月", "2月", "3月", "说明"]}),
    "problems_dates_mixed.xlsx": ("problems", {}, [
        full("problems", problem_id="P001", unit_code="S01", source="巡察", found_date="2025-01-10",
             category="组织建设", description="支部换届不及时", severity="较重", owner="张三", measures="限期换届",
             due_date="2025-03-31",
             status="已销号", completed_date="2025-03-20", closed_date="2025-03-31"),
        full("problems", problem_id="P002", unit_code="S02", source="审计", found_date="2025-01-23",
             description="经费使用不规范", severity="一般", owner="李四", measures="规范报销", due_date="2025-06-30",
             status="整改中")], [2, 3], {}),
    "problems_gbk_title_total.csv": ("problems", {}, [
        full("problems", problem_id="P101", unit_code="B0111", source="督查", found_date="2025-02-01", category="党建",
             description="三会一课记录不全", severity="一般", owner="王五", measures="补齐记录", due_date="2025-04-30",
             status="已完成待验收", completed_date="2025-04-15")], [3],
        {"encoding": "gb18030", "dropped": {"title": 1, "notes": 0, "total": 1, "empty": 0, "duplicate": 0}}),
    # Other spellings of enumerated values (data/aliases.toml) are stored as the canonical value.
    "meetings_aliases.csv": ("meetings", {}, [
        meeting("B0111", "支部委员会会议", "2025-03-05", 5, 5), meeting("B0111", "支部委员会会议", "2025-04-05"),
        meeting("B0112", "支部党员大会", "2025-03-06", 20, 18, "一季度大会"),
        meeting("B0112", "主题党日", "2025-03-07"),
        meeting("B0111", "党小组会", "2025-03-08"), meeting("B0111", "组织生活会", "2025-12-20"),
        meeting("B0112", "支部委员会会议", "2025-03-09"), meeting("B0112", "民主评议党员", "2025-12-21"),
        meeting("B0112", "党课", "2025-03-10")], [2, 3, 4, 5, 6, 7, 8, 9, 10], {}),
    "problems_aliases.csv": ("problems", {}, [
        full("problems", problem_id="P801", unit_code="S01", source="巡察", found_date="2025-01-10",
             category="组织建设", description="问题甲", severity="较重", owner="张三", measures="限期整改",
             due_date="2025-03-31", status="整改中"),
        full("problems", problem_id="P802", unit_code="S02", source="自查", found_date="2025-01-11",
             description="问题乙", severity="严重", due_date="2025-04-30", status="已完成待验收",
             completed_date="2025-04-01"),
        full("problems", problem_id="P803", unit_code="S01", source="审计", found_date="2025-01-12",
             description="问题丙", severity="一般", due_date="2025-05-31", status="已销号",
             completed_date="2025-04-20", closed_date="2025-04-25")], [2, 3, 4], {}),
    "supervision_utf8_serial_dates.csv": ("supervision", {}, [
        full("supervision", activity_id="DC-2025-01", unit_code="S01", kind="督查", start_date="2025-01-01",
             end_date="2025-01-03", lead="党群工作部", findings=3),
        full("supervision", activity_id="DY-2025-02", unit_code="S02", kind="调研", start_date="2025-04-01",
             lead="集团领导")], [2, 3], {}),
    "ratings_bool_words.csv": ("ratings", {}, [
        rating("B0111", 5, (95.0, 96.0, 97.0, 98.0, 99.0, 100.0), True),
        rating("B0112", 3, (80.0,) * 6, False), rating("B0211", 4, (90.0,) * 6, True),
        rating("B0212", 2, (60.0,), None)], [2, 3, 4, 5], {}),
    "indicators_periods_mixed.csv": ("indicators", {}, [
        indicator("S01", f"2025-0{m}", "publicity_articles", float(m)) for m in range(3, 8)], [2, 3, 4, 5, 6], {}),
    "indicators_number_forms.csv": ("indicators", {}, [
        indicator("S01", "2025-03", "theory_study_coverage", 98.5), indicator("S01", "2025-03", "applicants", 1234.0),
        indicator("S01", "2025-03", "staff_satisfaction", 92.0), indicator("S02", "2025-03", "applicants", 12000.0)],
        [2, 3, 4, 5], {}),
    "indicators_xlsx_period_cells.xlsx": ("indicators", {}, [
        indicator("S01", "2025-03", "applicants", 3.0), indicator("S02", "2025-04", "activists", 2.0)], [2, 3], {}),
    "units_utf8_parent_in_file.csv": ("units", {}, [
        unit("S10", "新能源公司", "G001", 2, "党委", 120, 800, "2020-06-01"),
        unit("B1011", "新能源公司第一党支部", "S10", 4, "党支部", 25)], [2, 3], {}),
    "units_fullwidth_digits.csv": ("units", {}, [
        unit("S11", "数字科技公司", "G001", 2, "党委", 1234, 30000)], [2], {}),
    "units_parent_by_name.csv": ("units", {}, [unit("B0114", "机关第四党支部", "T011", 4, "党支部", 9, 30)], [2], {}),
    "units_template_notes.xlsx": ("units", {}, [
        unit("S12", "示范公司", "G001", 2, "党委", 50, 300, "2019-01-01")], [3],
        {"dropped": {"title": 0, "notes": 1, "total": 0, "empty": 0, "duplicate": 0}}),
    "units_latin1_english.csv": ("units", {}, [
        unit("B0117", "Café branch", "T011", 4, "党支部"), unit("B0118", "Café de la gare", "T011", 4, "党支部")],
        [2, 3], {}),
}

# file → (dataset, options, every error message in Chinese, in file order)
FLAGGED = {
    "annual_bad_rating.csv": ("annual", {}, [
        "第 2 行，“书记述职评议等次”列，值“优秀”：不是允许的取值，可选：好、较好、一般、差"]),
    "annual_bad_year.csv": ("annual", {}, ["第 2 行，“年度”列，值“25年”：不是有效年份，应写作 2025 或 2025年",
                                           "第 3 行，“年度”列，值“1999”：年份应在 2000 到 2100 之间"]),
    "annual_negative_money.csv": ("annual", {}, ["第 2 行，“党组织工作经费预算（万元）”列，值“-10”：金额不能为负数"]),
    "annual_weight_over_100.csv": ("annual", {}, ["第 2 行，“党建考核权重（%）”列，值“120”：百分比应在 0 到 100 之间"]),
    "meetings_attended_gt_expected.csv": ("meetings", {}, [
        "第 2 行，“实到人数”列，值“22”：实到人数大于应到人数（20）"]),
    "meetings_unknown_unit.csv": ("meetings", {}, [
        "第 2 行，“单位编码”列，值“B0119”：未知单位编码 B0119，是否为 B0111（机关第一党支部）？",
        "第 3 行，“单位编码”列，值“X”：未知单位编码 X，单位须先在“组织架构”中登记"]),
    "meetings_ambiguous_unit_name.csv": ("meetings", {}, [
        "第 2 行，“单位编码”列，值“综合党支部”：单位名称“综合党支部”对应多个单位（B0113、B0212），请填写单位编码"]),
    "meetings_duplicate_key.csv": ("meetings", {}, ["第 4 行：与第 2 行重复（B0111、党课、2025/3/5），但内容不同"]),
    "meetings_bad_dates.csv": ("meetings", {}, [f"第 2 行，“日期”列，值“2025-13-01”：{DATE_HINT}",
                                                f"第 3 行，“日期”列，值“2025-02-30”：{DATE_HINT}",
                                                f"第 4 行，“日期”列，值“上周五”：{DATE_HINT}"]),
    "meetings_date_out_of_years.csv": ("meetings", {}, [
        "第 2 行，“日期”列，值“1998-07-01”：日期的年份应在 2000 到 2100 之间"]),
    "meetings_bad_type.csv": ("meetings", {}, [
        f"第 2 行，“会议类型”列，值“党员座谈会”：不是允许的取值，可选：{CHOICES_MEETING}"]),
    "meetings_missing_date.csv": ("meetings", {}, [
        "第 2 行，“日期”列：必填项为空", "第 3 行，“日期”列，值“—”：必填项为空"]),
    "meetings_not_integer.csv": ("meetings", {}, ["第 2 行，“应到人数”列，值“12.5”：应为整数",
                                                  "第 2 行，“实到人数”列，值“十”：应为整数"]),
    "problems_closed_without_date.csv": ("problems", {}, [
        "第 2 行，“整改状态”列，值“已销号”：状态为“已销号”，但没有填写销号日期"]),
    "problems_due_before_found.csv": ("problems", {}, [
        "第 2 行，“整改时限”列，值“2025-03-31”：整改时限早于发现日期（2025-05-10）"]),
    "problems_completed_before_found.csv": ("problems", {}, [
        "第 2 行，“完成日期”列，值“2025-05-01”：完成日期早于发现日期（2025-05-10）",
        "第 2 行，“销号日期”列，值“2025-04-30”：销号日期早于发现日期（2025-05-10）",
        "第 2 行，“销号日期”列，值“2025-04-30”：销号日期早于完成日期（2025-05-01）"]),
    "problems_bad_status.csv": ("problems", {}, [
        "第 2 行，“整改状态”列，值“已整改”：不是允许的取值，可选：未启动、整改中、已完成待验收、已销号"]),
    "problems_duplicate_id.csv": ("problems", {}, [
        "第 3 行，“问题编号”列，值“P601”：与第 2 行重复（P601），但内容不同"]),
    "problems_missing_description.csv": ("problems", {}, ["第 2 行，“问题描述”列：必填项为空"]),
    "supervision_end_before_start.csv": ("supervision", {}, [
        "第 2 行，“结束日期”列，值“2025-05-01”：结束日期早于开始日期（2025-05-10）"]),
    "supervision_bad_kind.csv": ("supervision", {}, [
        "第 2 行，“方式”列，值“检查”：不是允许的取值，"
        "可选：巡察、督查、调研、观摩比查、专项核查、述职评议、联系点活动"]),
    "supervision_negative_findings.csv": ("supervision", {}, ["第 2 行，“发现问题数”列，值“-1”：不能小于 0"]),
    "ratings_bad_stars.csv": ("ratings", {}, ["第 2 行，“星级”列，值“6”：应在 1 到 5 之间",
                                              "第 3 行，“星级”列，值“0”：应在 1 到 5 之间"]),
    "ratings_score_over_100.csv": ("ratings", {}, ["第 2 行，“基本组织”列，值“101”：得分应在 0 到 100 之间"]),
    "ratings_bad_bool.csv": ("ratings", {}, ["第 2 行，“是否达标”列，值“基本达标”：应填“是”或“否”"]),
    "indicators_bad_period.csv": ("indicators", {}, [f"第 2 行，“期间”列，值“2025-13”：{PERIOD_HINT}",
                                                     f"第 3 行，“期间”列，值“三月”：{PERIOD_HINT}"]),
    "indicators_unknown_code.csv": ("indicators", {}, [
        f"第 3 行，“指标编码”列，值“applicant”：不是指标目录中的指标编码，可选：{INDICATOR_CHOICES}"]),
    "units_bad_level.csv": ("units", {}, ["第 2 行，“层级”列，值“5”：应在 1 到 4 之间"]),
    "units_unknown_parent.csv": ("units", {}, [
        "第 2 行，“上级单位编码”列，值“T012”：未知单位编码 T012，是否为 T011（第一分公司机关）？"]),
}

# file → (dataset, options, the refusal in Chinese)
REFUSED = {
    "empty.csv": ("meetings", {}, "整个文件：文件是空的，没有任何内容"),
    "whitespace_only.csv": ("annual", {}, "整个文件：文件是空的，没有任何内容"),
    "only_header.csv": ("meetings", {}, "整个文件：文件只有表头，没有数据行"),
    "header_only.xlsx": ("meetings", {}, "整个文件：文件只有表头，没有数据行"),
    "garbled_encoding.csv": ("meetings", {}, "整个文件：无法识别文件的文字编码，"
                                             "请在 Excel 或 WPS 中另存为“CSV UTF-8”或 Excel 工作簿后再上传"),
    "no_rows.xlsx": ("meetings", {}, "整个文件：工作表中没有任何数据（已查看：Sheet1）"),
    "binary_png_renamed.csv": ("meetings", {}, NOT_TEXT.format("PNG")),
    "binary_pdf_renamed.csv": ("problems", {}, NOT_TEXT.format("PDF")),
    "binary_zip_renamed.csv": ("units", {}, NOT_TEXT.format("ZIP")),
    "truncated.xlsx": ("meetings", {}, "整个文件：无法读取该 Excel 文件（Cannot detect file format），文件可能已损坏，"
                                       "请在 Excel 或 WPS 中重新保存为 .xlsx"),
    "no_header.csv": ("meetings", {}, "整个文件：在前 20 行中找不到表头行，表头应包含：单位编码、会议类型、日期"
                                      "（也可用英文列名 unit_code, meeting_type, date）"),
    "annual_missing_columns.csv": ("annual", {}, "整个文件：缺少必填列：上年度职工工资总额（万元）、"
                                                 "党组织工作经费预算（万元）"
                                                 "（也可用英文列名 payroll_prev_year, fund_budget）"),
    "meetings_months_sheets.xlsx": ("meetings", {"sheet": "4月"},
                                    "整个文件：工作簿中没有名为“4月”的工作表，现有工作表：1月、2月、3月、说明"),
}


def test_corpus_is_big_enough_and_fully_covered():
    files = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".xlsx"))
    assert len(files) >= 45
    assert sorted(set(GOOD) | set(FLAGGED) | set(REFUSED)) == files
    datasets = {spec[0] for table in (GOOD, FLAGGED) for spec in table.values()}
    assert datasets == {"units", "annual", "meetings", "problems", "supervision", "ratings", "indicators"}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_file_loads_exactly(con, name):
    dataset, options, expected, file_rows, extra = GOOD[name]
    parsed = parse(con, name, dataset, **options)
    assert [e.message() for e in parsed.errors] == []
    assert records(parsed.frame) == expected
    assert parsed.file_rows == file_rows
    assert list(parsed.frame.columns) == get_dataset(dataset).names
    for attribute, value in extra.items():
        assert getattr(parsed, attribute) == value, attribute


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_bad_file_names_row_column_value_and_reason(con, name):
    dataset, options, expected = FLAGGED[name]
    parsed = parse(con, name, dataset, **options)
    assert [e.message("zh") for e in parsed.errors] == expected
    assert not parsed.ok
    flagged = {(e.sheet, e.row) for e in parsed.errors}
    assert not {(s, r) for s, r in zip(parsed.row_sheets, parsed.file_rows)} & flagged


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unreadable_file_is_refused(con, name):
    dataset, options, expected = REFUSED[name]
    with pytest.raises(UploadRefused) as caught:
        parse(con, name, dataset, **options)
    assert [e.message("zh") for e in caught.value.errors] == [expected]


@pytest.mark.parametrize(("name", "dataset", "expected"), [
    ("meetings_unknown_unit.csv", "meetings",
     "row 2, column “单位编码”, value “B0119”: unknown unit code B0119; did you mean B0111 (机关第一党支部)?"),
    ("problems_closed_without_date.csv", "problems",
     "row 2, column “整改状态”, value “已销号”: status is 已销号 (closed out) but the close-out date is empty"),
    ("meetings_attended_gt_expected.csv", "meetings",
     "row 2, column “实到人数”, value “22”: more attended than expected (20)"),
    ("meetings_duplicate_key.csv", "meetings",
     "row 4: same key as row 2 (B0111、党课、2025/3/5) but different content"),
    ("ratings_bad_stars.csv", "ratings", "row 2, column “星级”, value “6”: must be between 1 and 5"),
])
def test_errors_in_english(con, name, dataset, expected):
    assert parse(con, name, dataset).errors[0].message("en") == expected


@pytest.mark.parametrize(("name", "dataset", "expected"), [
    ("binary_png_renamed.csv", "meetings",
     "whole file: this is not a text CSV file (its content is PNG); upload a CSV or an Excel (.xlsx) file"),
    ("annual_missing_columns.csv", "annual",
     "whole file: required columns missing: 上年度职工工资总额（万元）、党组织工作经费预算（万元） "
     "(or in English: payroll_prev_year, fund_budget)"),
    ("only_header.csv", "meetings", "whole file: the file has a header but no data rows"),
])
def test_refusals_in_english(con, name, dataset, expected):
    with pytest.raises(UploadRefused) as caught:
        parse(con, name, dataset)
    assert caught.value.errors[0].message("en") == expected


def test_file_over_the_size_cap_is_refused_with_size_and_cap(con):
    small = dataclasses.replace(RULES, max_file_mb=0.0002)
    with pytest.raises(UploadRefused) as caught:
        parse(con, "annual_gbk_title_total.csv", "annual", rules=small)
    size = (CORPUS / "annual_gbk_title_total.csv").stat().st_size
    assert size == 290
    assert caught.value.errors[0].message() == "整个文件：文件大小为 0.000277 MB，超过上限 0.0002 MB，请拆分后分别上传"
    assert caught.value.errors[0].message("en") == (
        "whole file: the file is 0.000277 MB, over the 0.0002 MB limit; split it and upload the parts")


def test_one_chosen_sheet(con):
    parsed = parse(con, "meetings_months_sheets.xlsx", "meetings", sheet="2月")
    assert records(parsed.frame) == [meeting("B0111", "支部委员会会议", "2025-02-10", 5, 4, "二月支委会"),
                                     meeting("B0112", "党小组会", "2025-02-11", 8, 8)]
    assert parsed.row_sheets == ["2月", "2月"]


def test_errors_in_a_workbook_of_several_sheets_name_the_sheet(con):
    book = openpyxl.Workbook()
    book.active.title = "1月"
    book.active.append(["单位编码", "会议类型", "日期"])
    book.active.append(["B0111", "党课", "2025-01-05"])
    second = book.create_sheet("2月")
    second.append(["单位编码", "会议类型", "日期"])
    second.append(["B0111", "党课", "2025-02-31"])
    second.append(["B0111", "党课", "2025/1/5"])
    buf = io.BytesIO()
    book.save(buf)
    parsed = parse_upload(buf.getvalue(), "m.xlsx", "meetings", con, RULES, all_sheets=True)
    assert [e.message() for e in parsed.errors] == [
        f"工作表“2月”，第 2 行，“日期”列，值“2025-02-31”：{DATE_HINT}",
        "工作表“2月”，第 3 行：与工作表“1月”第 2 行重复（B0111、党课、2025/1/5），但内容不同"]


def test_percent_fractions_only_when_no_cell_is_written_with_percent(con):
    head = "年度,单位编码,上年度职工工资总额（万元）,党组织工作经费预算（万元）,党建考核权重（%）\n"
    fractions = (head + "2025,S01,100,1,0.1\n2025,S02,100,1,1\n").encode()
    mixed = (head + "2025,S01,100,1,0.5%\n2025,S02,100,1,1\n").encode()
    assert parse_upload(fractions, "a.csv", "annual", con, RULES).frame["assessment_weight_pct"].tolist() == [10, 100]
    assert parse_upload(mixed, "a.csv", "annual", con, RULES).frame["assessment_weight_pct"].tolist() == [0.5, 1]


def test_canonical_dtypes(con):
    frame = parse(con, "problems_dates_mixed.xlsx", "problems").frame
    assert {c: str(t) for c, t in frame.dtypes.items() if c in ("problem_id", "found_date")} == {
        "problem_id": "string", "found_date": "datetime64[s]"}
    ratings = parse(con, "ratings_bool_words.csv", "ratings").frame
    assert [str(ratings[c].dtype) for c in ("year", "stars", "basic_org", "compliant")] == [
        "Int64", "Int64", "Float64", "boolean"]


def test_sha256_is_of_the_bytes(con):
    data = (CORPUS / "meetings_utf8_plain.csv").read_bytes()
    assert parse(con, "meetings_utf8_plain.csv", "meetings").sha256 == sha256_of(data)
    assert sha256_of(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_error_report_lists_every_error_with_translated_headers(con):
    errors = parse(con, "meetings_bad_dates.csv", "meetings").errors
    for lang, headers, reason in (("zh", ["工作表", "行号", "列", "值", "原因"], DATE_HINT),
                                  ("en", ["Sheet", "Row", "Column", "Value", "Reason"],
                                   "not a valid date; write it as 2025-03-05, 2025/3/5, 2025年3月5日 or 20250305")):
        sheet = openpyxl.load_workbook(io.BytesIO(error_report_xlsx(errors, lang))).active
        rows = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
        assert rows == [headers, ["", 2, "日期", "2025-13-01", reason], ["", 3, "日期", "2025-02-30", reason],
                        ["", 4, "日期", "上周五", reason]]


@pytest.fixture
def bare_con(tmp_path):
    from kpi.store import open_store

    store = open_store(tmp_path / "bare.duckdb")
    yield store.cursor()
    store.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_template_as_downloaded_loads_its_example_rows(bare_con, lang):
    from kpi.importing.templates import EXAMPLES, template_xlsx

    units = parse_upload(template_xlsx("units", lang, RULES), "units.xlsx", "units", bare_con, RULES)
    bare_con.executemany("INSERT INTO units (unit_code, unit_name, level) VALUES (?, ?, ?)",
                         [[c, n, int(v)] for c, n, v in units.frame[["unit_code", "unit_name", "level"]].to_numpy()])
    for dataset in ("units", "annual", "meetings", "problems", "supervision", "ratings", "indicators"):
        for all_sheets in (False, True):
            parsed = parse_upload(template_xlsx(dataset, lang, RULES), f"{dataset}.xlsx", dataset, bare_con, RULES,
                                  all_sheets=all_sheets)
            assert [e.message() for e in parsed.errors] == [], dataset
            assert parsed.dropped["notes"] == 1
            loaded = records(parsed.frame)
            expected = [{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}
                        for row in EXAMPLES[dataset]]
            assert [{k: rec[k] for k in row} for rec, row in zip(loaded, expected)] == expected, dataset
            assert len(loaded) == len(expected)


def test_sheets_with_different_columns_leave_the_missing_ones_empty(con):
    book = openpyxl.Workbook()
    book.active.title = "1月"
    book.active.append(["单位编码", "会议类型", "日期", "主题"])
    book.active.append(["B0111", "党课", "2025-01-05", "一月党课"])
    second = book.create_sheet("2月")
    second.append(["单位编码", "会议类型", "日期", "实到人数"])
    second.append(["B0111", "党课", "2025-02-05", 3])
    buf = io.BytesIO()
    book.save(buf)
    parsed = parse_upload(buf.getvalue(), "m.xlsx", "meetings", con, RULES, all_sheets=True)
    assert records(parsed.frame) == [meeting("B0111", "党课", "2025-01-05", topic="一月党课"),
                                     meeting("B0111", "党课", "2025-02-05", attended=3)]
    assert parsed.mapping == {"单位编码": "unit_code", "会议类型": "meeting_type", "日期": "date", "主题": "topic",
                              "实到人数": "attended"}


def test_a_real_workbook_named_csv_is_read_as_a_workbook(con):
    data = (CORPUS / "meetings_excel_cells.xlsx").read_bytes()
    parsed = parse_upload(data, "exported.csv", "meetings", con, RULES)
    assert (len(parsed.frame), parsed.encoding, parsed.sheets) == (3, None, ["Sheet1"])


def test_errors_beyond_the_cap_are_summarised_in_one_line(con):
    body = "".join(f"B0111,党课,2025-02-{30 + i % 2},第{i}次\n" for i in range(10_003))
    parsed = parse_upload(f"单位编码,会议类型,日期,主题\n{body}".encode(), "m.csv", "meetings", con, RULES)
    assert len(parsed.errors) == 10_001
    assert parsed.errors[0].message() == f"第 2 行，“日期”列，值“2025-02-30”：{DATE_HINT}"
    assert parsed.errors[-1].message() == "“日期”列：此列另有 3 处同类错误未逐条列出"
    assert parsed.frame.empty


def test_a_whole_number_too_large_to_hold_is_not_an_integer(con):
    # Found by the fuzz test: 1E100 is whole as a float but no count can hold it.
    body = "B0111,党课,2025-03-05,学习,1E100,9\nB0111,党课,2025-03-06,学习,10,9007199254740993\n"
    parsed = parse_upload(f"单位编码,会议类型,日期,主题,应到人数,实到人数\n{body}".encode(), "m.csv", "meetings",
                          con, RULES)
    assert [e.message() for e in parsed.errors] == ["第 2 行，“应到人数”列，值“1E100”：应为整数",
                                                    "第 3 行，“实到人数”列，值“9007199254740993”：应为整数"]
    assert parsed.row_count == 0


def test_a_guide_sheet_before_the_month_sheets_is_skipped_and_headers_stay_per_sheet(con):
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["列名", "英文名", "说明"])
    book.active.append(["单位编码", "unit_code", "必填"])
    first = book.create_sheet("1月")
    first.append(["单位代码", "会议类型", "会议日期"])
    first.append(["B0111", "党课", "2025-01-32"])
    second = book.create_sheet("2月")
    second.append(["单位编码", "类型", "日期"])
    second.append(["B0111", "党课", "2025-02-30"])
    buf = io.BytesIO()
    book.save(buf)
    parsed = parse_upload(buf.getvalue(), "m.xlsx", "meetings", con, RULES, all_sheets=True)
    assert [e.message() for e in parsed.errors] == [
        f"工作表“1月”，第 2 行，“会议日期”列，值“2025-01-32”：{DATE_HINT}",
        f"工作表“2月”，第 2 行，“日期”列，值“2025-02-30”：{DATE_HINT}"]


MEETING_HEADER = "单位编码,会议类型,日期,应到人数,实到人数,主题"


def test_blank_lines_and_blank_lines_inside_quotes_keep_excel_row_numbers(con):
    body = (f"{MEETING_HEADER}\r\n\r\nB0111,党课,2025-03-05,20,18,学习\r\n\r\n\r\n"
            "B0112,党课,2025-03-06,10,9,\"交流\r\n\r\n总结\"\r\n")
    parsed = parse_upload(body.encode(), "m.csv", "meetings", con, RULES)
    assert records(parsed.frame) == [meeting("B0111", "党课", "2025-03-05", 20, 18, "学习"),
                                     meeting("B0112", "党课", "2025-03-06", 10, 9, "交流\r\n\r\n总结")]
    assert parsed.file_rows == [3, 6]
    assert parsed.dropped["empty"] == 3


@pytest.mark.parametrize(("body", "topics", "file_rows"), [
    # A cell opening with a quoted word: Excel (and the importer) join the quoted part and the rest.
    (f"{MEETING_HEADER}\nB0111,党课,2025-03-05,20,18,\"两学一做\"学习教育\n", ["两学一做学习教育"], [2]),
    # Line ends mixed (CRLF header, LF rows, a blank LF line): every line end counts.
    (f"{MEETING_HEADER}\r\nB0111,党课,2025-03-05,20,18,学习\n\nB0112,党课,2025-03-06,10,9,交流\r\n",
     ["学习", "交流"], [2, 4]),
])
def test_irregular_csv_reads_as_excel_reads_it(con, body, topics, file_rows):
    parsed = parse_upload(body.encode(), "m.csv", "meetings", con, RULES)
    assert [e.message() for e in parsed.errors] == []
    assert parsed.frame["topic"].tolist() == topics
    assert parsed.file_rows == file_rows


def test_a_file_ending_inside_quotes_is_refused_not_cut(con):
    body = f"{MEETING_HEADER}\nB0111,党课,2025-03-05,20,18,\"学习\nB0112,党课,2025-03-06,10,9,交流\n"
    with pytest.raises(UploadRefused) as caught:
        parse_upload(body.encode(), "m.csv", "meetings", con, RULES)
    assert [e.message() for e in caught.value.errors] == [
        "整个文件：无法按 CSV 读取文件（EOF inside string starting at row 1），"
        "请检查引号和分隔符，或另存为 Excel 工作簿"]


def test_a_large_file_goes_the_same_way_as_a_small_one(con):
    """30,000 rows with a blank line, an exact duplicate, a 合计 row, a repeated key, a bad date
    and an unknown unit far down the file: the same drops and messages as in the small files."""
    units, kinds = ("B0111", "B0112", "B0211"), ("党课", "主题党日")
    day = pd.Timestamp("2020-01-01")
    rows = [f"{units[i % 3]},{kinds[i // 3 % 2]},{(day + pd.Timedelta(days=i // 6)):%Y-%m-%d},20,{10 + i % 10},学习"
            for i in range(30_000)]
    rows[25_000] = "B0112,党课,2025-02-30,20,18,学习"
    rows[29_000] = "B0119,党课,2025-03-01,20,18,学习"
    lines = [MEETING_HEADER, *rows[:100], "", *rows[100:], rows[5], "B0111,党课,2020-01-02,20,11,学习",
             "合计,,,,,"]
    parsed = parse_upload(("\n".join(lines) + "\n").encode(), "m.csv", "meetings", con, RULES)
    # File rows: header 1, rows[i] on i + 2 up to rows[99], the blank line 102, rows[i] on i + 3 after.
    assert [e.message() for e in parsed.errors] == [
        f"第 25003 行，“日期”列，值“2025-02-30”：{DATE_HINT}",
        "第 29003 行，“单位编码”列，值“B0119”：未知单位编码 B0119，是否为 B0111（机关第一党支部）？",
        "第 30004 行：与第 8 行重复（B0111、党课、2020-01-02），但内容不同"]
    assert parsed.dropped == {"title": 0, "notes": 0, "total": 1, "empty": 1, "duplicate": 1}
    assert parsed.row_count == len(parsed.frame) == 29_998
    assert parsed.file_rows[:2] == [2, 3] and parsed.file_rows[-1] == 30_002
