"""Regenerate the importer corpus: real-shaped CSV/XLSX files, each named for what it shows.

    python tests/data/import/make_corpus.py

Files are written next to this script and committed; tests/test_import_parse.py holds what each
must load to (or the exact refusal). Unit codes refer to tests/fixtures/import_fixtures.py.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
FIXED_TIME = dt.datetime(2025, 1, 1)

ANNUAL_H = ["年度", "单位编码", "上年度职工工资总额（万元）", "党组织工作经费预算（万元）",
            "党组织工作经费实际支出（万元）", "党建考核权重（%）",
            "党建考核得分", "书记述职评议等次", "专职党务工作人员数"]
MEET_H = ["单位编码", "会议类型", "日期", "应到人数", "实到人数", "主题"]
PROB_H = ["问题编号", "单位编码", "问题来源", "发现日期", "问题类别", "问题描述", "严重程度", "责任人", "整改措施",
          "整改时限", "整改状态", "完成日期", "销号日期"]
SUP_H = ["编号", "被检查单位编码", "方式", "开始日期", "结束日期", "牵头领导或部门", "发现问题数"]
RAT_H = ["年度", "单位编码", "星级", "基本组织", "基本队伍", "基本活动", "基本作用", "基本制度", "基本保障", "是否达标"]
IND_H = ["单位编码", "期间", "指标编码", "数值"]
UNIT_H = ["单位编码", "单位名称", "上级单位编码", "层级", "组织类型", "党员数", "职工数", "成立日期"]


def csv_bytes(rows: list[list], encoding: str = "utf-8", delimiter: str = ",", eol: str = "\r\n") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=eol).writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(sheets: dict[str, list[list]], formats: dict[tuple[str, str], str] | None = None) -> bytes:
    """A workbook; `formats` maps (sheet, cell like 'F3') → number format (e.g. '0%')."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    for (sheet, cell), fmt in (formats or {}).items():
        book[sheet][cell].number_format = fmt
    book.properties.created = book.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    book.save(buf)
    return stable_zip(buf.getvalue())


def stable_zip(data: bytes) -> bytes:
    """The same archive with fixed entry times, so regenerating the corpus changes no bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            text = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = re.sub(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>", b"", text)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, text)
    return out.getvalue()


def annual_files() -> dict[str, bytes]:
    return {
        "annual_gbk_title_total.csv": csv_bytes([
            ["2025年度党建经费统计表"], [], ANNUAL_H,
            ["2025", "S01", "1200", "12.5", "10", "10", "92", "好", "3"],
            ["2025年", "S02", "800", "6", "5.5", "8", "85.5", "较好", "1"],
            ["合计", "", "2000", "18.5", "15.5", "", "", "", "4"]], encoding="gbk"),
        "annual_utf8_bom_money_forms.csv": csv_bytes([
            ANNUAL_H,
            ["2025", "S01", "1,234.5", "¥13万", "30000元", "12.5%", "90", "好", "2"],
            ["2025", "S02", "￥2,000", "20万元", "—", "10%", "-", "无", "N/A"]], encoding="utf-8-sig"),
        "annual_excel_percent_fraction.xlsx": xlsx_bytes(
            {"年度指标": [ANNUAL_H, [2025, "S01", 1200, 12.5, 10, 0.1, 92, "好", 3],
                         [2025, "S02", 800, 6, 5.5, 0.125, 85, "一般", 1]]},
            {("年度指标", "F2"): "0%", ("年度指标", "F3"): "0.0%"}),
        "annual_header_variants.csv": csv_bytes([
            ["年份", " 单位 代码 ", "上年度职工工资总额(万元)", "党组织工作经费预算", "经费支出", "党建考核权重【%】",
             "考核得分", "评议等次", "备注"],
            ["2024", "S09", "500", "5", "4", "10", "88", "好", "已核对"]]),
        "annual_english_headers.csv": csv_bytes([
            ["YEAR", "Unit_Code", "payroll_prev_year", "fund_budget", "fund_spent", "assessment_weight_pct",
             "assessment_score", "secretary_rating", "party_staff"],
            ["2025", "S01", "1000", "10", "9", "10", "95", "Good", "2"]]),
        "annual_semicolon.csv": csv_bytes([ANNUAL_H, ["2025", "S01", "1000.5", "10", "", "", "", "", ""]],
                                          delimiter=";"),
        "annual_negative_money.csv": csv_bytes([ANNUAL_H, ["2025", "S01", "1000", "-10", "5", "10", "90", "好", "2"]]),
        "annual_weight_over_100.csv": csv_bytes([ANNUAL_H, ["2025", "S01", "1000", "10", "5", "120", "90", "好", "2"]]),
        "annual_bad_rating.csv": csv_bytes([ANNUAL_H, ["2025", "S01", "1000", "10", "5", "10", "90", "优秀", "2"]]),
        "annual_missing_columns.csv": csv_bytes([["年度", "单位编码", "党建考核得分"], ["2025", "S01", "90"]]),
        "annual_bad_year.csv": csv_bytes([ANNUAL_H, ["25年", "S01", "1000", "10", "5", "10", "90", "好", "2"],
                                          ["1999", "S02", "1000", "10", "5", "10", "90", "好", "2"]]),
    }


def meetings_files() -> dict[str, bytes]:
    good = [MEET_H, ["B0111", "党课", "2025-03-05", "20", "18", "学习二十届三中全会精神"],
            ["B0112", "主题党日", "2025-03-12", "15", "15", "志愿服务"]]
    months = {name: [MEET_H] + rows for name, rows in (
        ("1月", [["B0111", "支部委员会会议", dt.datetime(2025, 1, 6), 5, 5, "一月支委会"]]),
        ("2月", [["B0111", "支部委员会会议", dt.datetime(2025, 2, 10), 5, 4, "二月支委会"],
                 ["B0112", "党小组会", dt.datetime(2025, 2, 11), 8, 8, ""]]),
        ("3月", [["B0111", "支部委员会会议", dt.datetime(2025, 3, 3), 5, 5, "三月支委会"]]))}
    months["说明"] = [["本工作簿每月一张工作表"], ["请勿修改表头"]]
    return {
        "meetings_utf16_tab.csv": csv_bytes(good, encoding="utf-16", delimiter="\t"),
        "meetings_utf16be.csv": b"\xfe\xff" + csv_bytes(good, encoding="utf-16-be"),
        "meetings_utf8_plain.csv": csv_bytes(good, eol="\n"),
        "meetings_dates_all_forms.csv": csv_bytes([
            MEET_H, ["B0111", "党课", "2025-03-05", "", "", ""], ["B0111", "主题党日", "2025/3/6", "", "", ""],
            ["B0111", "党小组会", "2025年3月7日", "", "", ""], ["B0111", "支部委员会会议", "20250308", "", "", ""],
            ["B0112", "党课", "2025.3.9", "", "", ""], ["B0112", "主题党日", "45731", "", "", ""],
            ["B0112", "党小组会", "2025-03-11 09:30:00", "", "", ""]]),
        "meetings_attended_gt_expected.csv": csv_bytes([MEET_H, ["B0111", "党课", "2025-03-05", "20", "22", "党课"]]),
        "meetings_unit_names.csv": csv_bytes([
            MEET_H, ["机关第一党支部", "党课", "2025-03-05", "20", "18", ""],
            ["b0112", "党课", "2025-03-05", "10", "9", ""]]),
        "meetings_unknown_unit.csv": csv_bytes([MEET_H, ["B0119", "党课", "2025-03-05", "20", "18", ""],
                                                ["X", "党课", "2025-03-06", "20", "18", ""]]),
        "meetings_ambiguous_unit_name.csv": csv_bytes([MEET_H, ["综合党支部", "党课", "2025-03-05", "20", "18", ""]]),
        "meetings_duplicate_rows.csv": csv_bytes([MEET_H, good[1], good[2], good[1]]),
        "meetings_duplicate_key.csv": csv_bytes([MEET_H, ["B0111", "党课", "2025-03-05", "20", "18", "上午"],
                                                 ["B0112", "党课", "2025-03-05", "10", "9", ""],
                                                 ["B0111", "党课", "2025/3/5", "20", "17", "下午"]]),
        "meetings_months_sheets.xlsx": xlsx_bytes(months),
        "meetings_bad_dates.csv": csv_bytes([MEET_H, ["B0111", "党课", "2025-13-01", "", "", ""],
                                             ["B0111", "党课", "2025-02-30", "", "", ""],
                                             ["B0111", "党课", "上周五", "", "", ""]]),
        "meetings_date_out_of_years.csv": csv_bytes([MEET_H, ["B0111", "党课", "1998-07-01", "", "", ""]]),
        # 党员大会 is an alias of 支部党员大会 (data/aliases.toml); 党员座谈会 is no meeting type at all.
        "meetings_bad_type.csv": csv_bytes([MEET_H, ["B0111", "党员座谈会", "2025-03-05", "", "", ""]]),
        "meetings_aliases.csv": csv_bytes([
            MEET_H, ["B0111", "支委会", "2025-03-05", "5", "5", ""], ["B0111", "支部委员会", "2025-04-05", "", "", ""],
            ["B0112", "党员大会", "2025-03-06", "20", "18", "一季度大会"],
            ["B0112", "主题党日活动", "2025-03-07", "", "", ""],
            ["B0111", "党小组会议", "2025-03-08", "", "", ""], ["B0111", "专题组织生活会", "2025-12-20", "", "", ""],
            ["B0112", " 支 委 会 ", "2025-03-09", "", "", ""], ["B0112", "民主评议", "2025-12-21", "", "", ""],
            ["B0112", "党课", "2025-03-10", "", "", ""]]),
        "meetings_gb18030_rare_chars.csv": csv_bytes([
            MEET_H, ["B0111", "党课", "2025-03-05", "20", "18", "走访𬌗𠀀村镕基"]], encoding="gb18030"),
        "meetings_quoted_newline.csv": csv_bytes([
            MEET_H, ["B0111", "党课", "2025-03-05", "20", "18", "第一部分：理论学习，\n第二部分：交流"],
            ["B0112", "党课", "2025-03-06", "10", "10", "“两学一做”"]]),
        "meetings_crlf_blank_rows.csv": csv_bytes([
            MEET_H, [], good[1], ["", "", "", "", "", ""], good[2], [], []]),
        "meetings_excel_cells.xlsx": xlsx_bytes({"Sheet1": [
            ["2025年第一季度组织生活记录"], [], MEET_H,
            ["B0111", "党课", dt.datetime(2025, 3, 5), 20, 18, "党课"],
            ["B0112", "党课", 45722, 10.0, 9, None],
            ["B0211", "主题党日", "2025年3月7日", "12", "12", "主题党日"],
            [None, None, None, None, None, None],
            ["合计", None, None, 42, 39, None]]}),
        "meetings_english_enum.csv": csv_bytes([MEET_H, ["B0111", "Theme party day", "2025-03-05", "", "", ""],
                                                ["B0111", "party lecture", "2025-03-06", "", "", ""]]),
        "meetings_missing_date.csv": csv_bytes([MEET_H, ["B0111", "党课", "", "20", "18", ""],
                                                ["B0111", "党课", "—", "20", "18", ""]]),
        "meetings_not_integer.csv": csv_bytes([MEET_H, ["B0111", "党课", "2025-03-05", "12.5", "十", ""]]),
        "meetings_spaced_values.csv": csv_bytes([
            MEET_H, ["机关 第一党支部", " 党 课 ", "2025 年 3 月 5 日", " 20 ", "1 8", ""],
            [" B0112", "主题党日", "2025 / 3 / 6", "", "", ""]]),
        "meetings_fullwidth.csv": csv_bytes([
            ["单位编码（代码）", "会议类型", "日期", "应到人数（人）", "实到人数（人）", "主题"],
            ["Ｂ０１１１", "党　课", "２０２５－０３－０５", "２０", "１８", "全角，标点"]]),
    }


def problems_files() -> dict[str, bytes]:
    return {
        "problems_dates_mixed.xlsx": xlsx_bytes({"问题清单": [
            PROB_H,
            ["P001", "S01", "巡察", dt.datetime(2025, 1, 10), "组织建设", "支部换届不及时", "较重", "张三", "限期换届",
             dt.datetime(2025, 3, 31), "已销号", "2025年3月20日", 45747],
            ["P002", "S02", "审计", 45680, None, "经费使用不规范", "一般", "李四", "规范报销", "2025/6/30", "整改中",
             None, None]]}),
        "problems_gbk_title_total.csv": csv_bytes([
            ["2025年巡察整改问题清单", "", "", ""], PROB_H,
            ["P101", "B0111", "督查", "2025-02-01", "党建", "三会一课记录不全", "一般", "王五", "补齐记录",
             "2025-04-30", "已完成待验收", "2025-04-15", ""],
            ["合计：1 个问题"]], encoding="gbk"),
        "problems_closed_without_date.csv": csv_bytes([
            PROB_H, ["P201", "S01", "巡察", "2025-01-10", "", "问题", "一般", "", "", "2025-03-31", "已销号",
                     "2025-03-01", ""]]),
        "problems_due_before_found.csv": csv_bytes([
            PROB_H, ["P301", "S01", "巡察", "2025-05-10", "", "问题", "一般", "", "", "2025-03-31", "整改中", "", ""]]),
        "problems_completed_before_found.csv": csv_bytes([
            PROB_H, ["P401", "S01", "自查", "2025-05-10", "", "问题", "一般", "", "", "2025-06-30", "已销号",
                     "2025-05-01", "2025-04-30"]]),
        "problems_bad_status.csv": csv_bytes([
            PROB_H, ["P501", "S01", "巡察", "2025-01-10", "", "问题", "一般", "", "", "2025-03-31", "已整改", "", ""]]),
        "problems_aliases.csv": csv_bytes([
            PROB_H, ["P801", "S01", "巡察反馈", "2025-01-10", "组织建设", "问题甲", "较严重", "张三", "限期整改",
                     "2025-03-31", "正在整改", "", ""],
            ["P802", "S02", "自查自纠", "2025-01-11", "", "问题乙", "严重问题", "", "", "2025-04-30", "已完成",
             "2025-04-01", ""],
            ["P803", "S01", "审计发现", "2025-01-12", "", "问题丙", "一般问题", "", "", "2025-05-31", "已关闭",
             "2025-04-20", "2025-04-25"]]),
        "problems_duplicate_id.csv": csv_bytes([
            PROB_H, ["P601", "S01", "巡察", "2025-01-10", "", "问题甲", "一般", "", "", "2025-03-31", "整改中", "", ""],
            ["P601", "S02", "审计", "2025-01-11", "", "问题乙", "一般", "", "", "2025-03-31", "整改中", "", ""]]),
        "problems_missing_description.csv": csv_bytes([
            PROB_H, ["P701", "S01", "巡察", "2025-01-10", "", "", "一般", "", "", "2025-03-31", "未启动", "", ""]]),
    }


def supervision_files() -> dict[str, bytes]:
    return {
        "supervision_utf8_serial_dates.csv": csv_bytes([
            SUP_H, ["DC-2025-01", "S01", "督查", "45658", "45660", "党群工作部", "3"],
            ["DY-2025-02", "第二分公司", "调研", "2025年4月1日", "", "集团领导", ""]]),
        "supervision_end_before_start.csv": csv_bytes([
            SUP_H, ["DC-2025-09", "S01", "督查", "2025-05-10", "2025-05-01", "", "0"]]),
        "supervision_bad_kind.csv": csv_bytes([SUP_H, ["DC-2025-10", "S01", "检查", "2025-05-10", "", "", ""]]),
        "supervision_negative_findings.csv": csv_bytes([SUP_H, ["DC-2025-11", "S01", "督查", "2025-05-10", "", "",
                                                                "-1"]]),
    }


def ratings_files() -> dict[str, bytes]:
    return {
        "ratings_bool_words.csv": csv_bytes([
            RAT_H, ["2025", "B0111", "5", "95", "96", "97", "98", "99", "100", "是"],
            ["2025", "B0112", "3", "80", "80", "80", "80", "80", "80", "不达标"],
            ["2025", "B0211", "4", "90", "90", "90", "90", "90", "90", "Y"],
            ["2025", "B0212", "2", "60", "", "", "", "", "", ""]]),
        "ratings_bad_stars.csv": csv_bytes([RAT_H, ["2025", "B0111", "6", "95", "", "", "", "", "", "是"],
                                            ["2025", "B0112", "0", "95", "", "", "", "", "", "是"]]),
        "ratings_score_over_100.csv": csv_bytes([RAT_H, ["2025", "B0111", "5", "101", "", "", "", "", "", "是"]]),
        "ratings_bad_bool.csv": csv_bytes([RAT_H, ["2025", "B0111", "5", "95", "", "", "", "", "", "基本达标"]]),
    }


def indicator_files() -> dict[str, bytes]:
    return {
        "indicators_periods_mixed.csv": csv_bytes([
            IND_H, ["S01", "2025-03", "publicity_articles", "3"], ["S01", "2025年4月", "publicity_articles", "4"],
            ["S01", "202505", "publicity_articles", "5"], ["S01", "2025/6", "publicity_articles", "6"],
            ["S01", "2025-07-15", "publicity_articles", "7"]]),
        "indicators_number_forms.csv": csv_bytes([
            IND_H, ["S01", "2025-03", "theory_study_coverage", "98.5%"], ["S01", "2025-03", "applicants", "1,234"],
            ["S01", "2025-03", "staff_satisfaction", "９２"], ["S02", "2025-03", "applicants", "1.2万"]]),
        "indicators_bad_period.csv": csv_bytes([IND_H, ["S01", "2025-13", "applicants", "3"],
                                                ["S01", "三月", "applicants", "3"]]),
        "indicators_xlsx_period_cells.xlsx": xlsx_bytes({"指标": [
            IND_H, ["S01", dt.datetime(2025, 3, 1), "applicants", 3], ["S02", "2025-04", "activists", 2.0]]}),
        "indicators_unknown_code.csv": csv_bytes([IND_H, ["S01", "2025-03", "理论学习覆盖率", "97"],
                                                  ["S01", "2025-03", "applicant", "3"]]),
    }


def unit_files() -> dict[str, bytes]:
    return {
        "units_utf8_parent_in_file.csv": csv_bytes([
            UNIT_H, ["S10", "新能源公司", "G001", "2", "党委", "120", "800", "2020-06-01"],
            ["B1011", "新能源公司第一党支部", "S10", "4", "党支部", "25", "", ""]]),
        "units_fullwidth_digits.csv": csv_bytes([
            ["单位编码", "单位名称", "上级单位编码", "层级", "组织类型", "党员数（人）", "职工数（人）"],
            ["Ｓ１１", "数字科技公司", "Ｇ００１", "２", "党委", "１，２３４", "３万"]]),
        "units_parent_by_name.csv": csv_bytes([
            UNIT_H, ["B0114", "机关第四党支部", "第一分公司机关", "4", "党支部", "9", "30", ""]]),
        "units_latin1_english.csv": (
            b"unit_code,unit_name,parent_code,level,org_type\r\nB0117,Caf\xe9 branch,T011,4,Party branch\r\n"
            b"B0118,Caf\xe9 de la gare,T011,4,party branch\r\n"),
        "units_bad_level.csv": csv_bytes([UNIT_H, ["B0115", "某支部", "T011", "5", "党支部", "9", "30", ""]]),
        "units_unknown_parent.csv": csv_bytes([UNIT_H, ["B0116", "某支部", "T012", "4", "党支部", "9", "30", ""]]),
        "units_template_notes.xlsx": xlsx_bytes({"组织架构": [
            UNIT_H,
            ["必填，唯一编码", "必填", "选填，集团填空", "必填，1-4", "必填：党委/党总支/党支部",
             "选填", "选填", "选填，日期"],
            ["S12", "示范公司", "G001", 2, "党委", 50, 300, dt.datetime(2019, 1, 1)]]}),
    }


def refused_files() -> dict[str, bytes]:
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr(zipfile.ZipInfo("data.txt", date_time=FIXED_TIME.timetuple()[:6]), "hello")
    book = xlsx_bytes({"Sheet1": [MEET_H]})
    return {
        "empty.csv": b"",
        "whitespace_only.csv": b"\r\n   \r\n\r\n",
        "only_header.csv": csv_bytes([MEET_H], encoding="utf-8-sig"),
        "binary_png_renamed.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
                                   b"\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"),
        "binary_pdf_renamed.csv": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        "binary_zip_renamed.csv": zipped.getvalue(),
        "no_rows.xlsx": xlsx_bytes({"Sheet1": []}),
        "header_only.xlsx": book,
        "truncated.xlsx": book[: len(book) // 2],
        "garbled_encoding.csv": bytes(range(128, 256)) * 4,
        "no_header.csv": csv_bytes([["名称", "数量"], ["甲", "1"], ["乙", "2"]]),
    }


def all_files() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for group in (annual_files, meetings_files, problems_files, supervision_files, ratings_files, indicator_files,
                  unit_files, refused_files):
        out.update(group())
    return out


def main() -> None:
    for name, data in all_files().items():
        (HERE / name).write_bytes(data)
    print(f"wrote {len(all_files())} files to {HERE}")


if __name__ == "__main__":
    main()
