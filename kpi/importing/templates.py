"""One XLSX upload template per dataset: headers, a notes row, example rows, and a 说明 sheet.

Row 1 holds the Chinese headers of kpi/datasets.py, row 2 explains each column (its first cell
starts with NOTES_MARKERS, which is how the importer recognises and skips it), rows 3+ are
realistic examples; a template filled in by hand therefore loads as is.
"""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kpi.datasets import Column, Dataset, get_dataset
from kpi.i18n import has, t
from kpi.rules import Rules

# The first cell of the notes row starts with one of these; the importer skips such a row.
NOTES_MARKERS = ("说明：", "Note:")
NOTES_MARKER = {"zh": NOTES_MARKERS[0], "en": NOTES_MARKERS[1]}
GUIDE_SHEET = "说明"
DATE_FORMAT = "yyyy-mm-dd"

D = dt.date
EXAMPLES: dict[str, list[dict]] = {
    "units": [
        {"unit_code": "HY", "unit_name": "华源能源集团有限公司党委", "level": 1, "org_type": "党委",
         "member_count": 1260, "staff_count": 5400, "founded_date": D(2001, 6, 18)},
        {"unit_code": "HY01", "unit_name": "华源电力有限公司党委", "parent_code": "HY", "level": 2,
         "org_type": "党委", "member_count": 420, "staff_count": 1800, "founded_date": D(2003, 3, 1)},
        {"unit_code": "HY0101", "unit_name": "华源电力第一发电厂党总支", "parent_code": "HY01", "level": 3,
         "org_type": "党总支", "member_count": 96, "staff_count": 410},
        {"unit_code": "HY010101", "unit_name": "第一发电厂运行部党支部", "parent_code": "HY0101", "level": 4,
         "org_type": "党支部", "member_count": 28, "staff_count": 120, "founded_date": D(2010, 7, 1)},
    ],
    "annual": [
        {"year": 2025, "unit_code": "HY", "payroll_prev_year": 68000, "fund_budget": 720, "fund_spent": 650.5,
         "assessment_weight_pct": 10, "assessment_score": 95, "secretary_rating": "好", "party_staff": 60},
        {"year": 2025, "unit_code": "HY01", "payroll_prev_year": 12500, "fund_budget": 150, "fund_spent": 132.6,
         "assessment_weight_pct": 12, "assessment_score": 92.5, "secretary_rating": "好", "party_staff": 18},
        {"year": 2025, "unit_code": "HY0101", "payroll_prev_year": 3200, "fund_budget": 28, "fund_spent": 30.2,
         "assessment_weight_pct": 8, "assessment_score": 86, "secretary_rating": "较好", "party_staff": 3},
    ],
    "meetings": [
        {"unit_code": "HY010101", "meeting_type": "支部委员会会议", "date": D(2025, 3, 5), "expected": 5,
         "attended": 5, "topic": "研究部署一季度党建工作"},
        {"unit_code": "HY010101", "meeting_type": "主题党日", "date": D(2025, 3, 18), "expected": 28,
         "attended": 26, "topic": "学习贯彻全会精神"},
        {"unit_code": "HY010101", "meeting_type": "党课", "date": D(2025, 3, 27), "expected": 28,
         "attended": 25, "topic": "书记讲党课：以高质量党建引领安全生产"},
    ],
    "problems": [
        {"problem_id": "XC-2025-001", "unit_code": "HY0101", "source": "巡察", "found_date": D(2025, 2, 20),
         "category": "组织建设", "description": "支部委员会会议记录不规范，部分会议缺少议题", "severity": "一般",
         "owner": "李明", "measures": "统一会议记录模板，党总支每月抽查", "due_date": D(2025, 5, 31),
         "status": "整改中"},
        {"problem_id": "SJ-2025-002", "unit_code": "HY01", "source": "审计", "found_date": D(2025, 1, 15),
         "category": "经费保障", "description": "党组织工作经费未按上年度职工工资总额1%列入预算",
         "severity": "较重", "owner": "王强", "measures": "调整年度预算并经党委会审议", "due_date": D(2025, 4, 30),
         "status": "已销号", "completed_date": D(2025, 4, 20), "closed_date": D(2025, 4, 28)},
        {"problem_id": "DC-2025-003", "unit_code": "HY010101", "source": "督查", "found_date": D(2025, 3, 10),
         "category": "党员教育", "description": "党员学习教育台账更新不及时", "severity": "一般",
         "owner": "赵敏", "measures": "指定专人每周更新台账", "due_date": D(2025, 6, 30), "status": "未启动"},
    ],
    "supervision": [
        {"activity_id": "DC-2025-01", "unit_code": "HY01", "kind": "督查", "start_date": D(2025, 3, 10),
         "end_date": D(2025, 3, 12), "lead": "党群工作部", "findings": 3},
        {"activity_id": "XC-2025-01", "unit_code": "HY0101", "kind": "巡察", "start_date": D(2025, 4, 7),
         "end_date": D(2025, 5, 16), "lead": "集团党委第一巡察组", "findings": 6},
        {"activity_id": "DY-2025-01", "unit_code": "HY010101", "kind": "调研", "start_date": D(2025, 5, 20),
         "end_date": D(2025, 5, 20), "lead": "集团党委副书记", "findings": 0},
    ],
    "ratings": [
        {"year": 2023, "unit_code": "HY010101", "stars": 3, "basic_org": 85, "basic_team": 82, "basic_activity": 80,
         "basic_role": 78, "basic_system": 88, "basic_support": 84, "compliant": True},
        {"year": 2024, "unit_code": "HY010101", "stars": 4, "basic_org": 92, "basic_team": 90, "basic_activity": 88,
         "basic_role": 86, "basic_system": 93, "basic_support": 90, "compliant": True},
        {"year": 2025, "unit_code": "HY010101", "stars": 4, "basic_org": 94, "basic_team": 91, "basic_activity": 90,
         "basic_role": 89, "basic_system": 95, "basic_support": 92, "compliant": True},
    ],
    "indicators": [
        {"unit_code": "HY010101", "period": "2025-03", "indicator_code": "theory_study_coverage", "value": 98.5},
        {"unit_code": "HY010101", "period": "2025-03", "indicator_code": "dues_collection_rate", "value": 100},
        {"unit_code": "HY010101", "period": "2025-03", "indicator_code": "publicity_articles", "value": 4},
    ],
}

_HEADER_FILL = PatternFill("solid", fgColor="C00000")
_NOTES_FILL = PatternFill("solid", fgColor="FFF2CC")


def column_note(ds: Dataset, column: Column, lang: str = "zh") -> str:
    """What a column holds and what is allowed in it, e.g. '必填。日期，如 2025-03-05。'"""
    need = "required_blank_ok" if column.required and column.blank_ok else "required" if column.required else "optional"
    parts = [t(f"templates.{need}", lang)]
    if column.kind == "enum":
        parts.append(t("templates.kind.enum", lang, choices=" / ".join(column.choices)))
    else:
        parts.append(t(f"templates.kind.{column.kind}", lang))
    if column.kind == "int" and column.min_value is not None and column.max_value is not None:
        parts.append(t("templates.range", lang, low=int(column.min_value), high=int(column.max_value)))
    elif column.kind == "int" and column.min_value is not None:
        parts.append(t("templates.at_least", lang, low=int(column.min_value)))
    extra = f"templates.extra.{ds.name}.{column.name}"
    if has(extra):
        parts.append(t(extra, lang))
    return t("templates.sep", lang).join(parts) + t("templates.end", lang)


def _cell_value(column: Column, value: object) -> object:
    if column.kind == "bool" and value is not None:
        return "是" if value else "否"
    return value


def _write_data_sheet(ws, ds: Dataset, lang: str) -> None:
    ws.title = t(f"common.dataset.{ds.name}", "zh")
    for i, column in enumerate(ds.columns, start=1):
        head = ws.cell(row=1, column=i, value=column.header)
        head.font = Font(bold=True, color="FFFFFF")
        head.fill = _HEADER_FILL
        note = column_note(ds, column, lang)
        notes = ws.cell(row=2, column=i, value=(NOTES_MARKER[lang] + note) if i == 1 else note)
        notes.font = Font(italic=True, color="7F6000", size=9)
        notes.fill = _NOTES_FILL
        notes.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(i)].width = max(14, min(40, 2.2 * len(column.header) + 4))
        for r, example in enumerate(EXAMPLES[ds.name], start=3):
            cell = ws.cell(row=r, column=i, value=_cell_value(column, example.get(column.name)))
            if column.kind == "date":
                cell.number_format = DATE_FORMAT
            elif column.kind in ("text", "code", "period"):
                # Text format keeps the leading zeros of codes like 0101 when the analyst types them.
                cell.number_format = "@"
    ws.row_dimensions[2].height = 60
    ws.freeze_panes = "A3"


def _write_guide_sheet(ws, ds: Dataset, lang: str, rules: Rules | None) -> None:
    ws.append([t(f"common.dataset.{ds.name}", lang)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([t(f"templates.description.{ds.name}", lang)])
    ws.append([t("templates.how_to", lang)])
    ws.append([])
    ws.append([t("templates.guide.header", lang), t("templates.guide.name", lang), t("templates.guide.note", lang)])
    for column in ds.columns:
        ws.append([column.header, column.name, column_note(ds, column, lang)])
    if ds.name == "indicators" and rules is not None:
        ws.append([])
        ws.append([t("templates.guide.catalogue", lang)])
        ws.append([t("templates.guide.code", lang), t("templates.guide.indicator", lang),
                   t("templates.guide.unit", lang)])
        for indicator in rules.indicators:
            ws.append([indicator.code, indicator.name(lang), indicator.unit])
    for letter, width in (("A", 30), ("B", 26), ("C", 80)):
        ws.column_dimensions[letter].width = width


def template_xlsx(dataset: str, lang: str = "zh", rules: Rules | None = None) -> bytes:
    """The upload template of `dataset` as XLSX bytes (notes in `lang`; headers always Chinese).

    With `rules`, the indicators template's 说明 sheet also lists the indicator catalogue.
    """
    ds = get_dataset(dataset)
    wb = Workbook()
    _write_data_sheet(wb.active, ds, lang)
    _write_guide_sheet(wb.create_sheet(GUIDE_SHEET), ds, lang, rules)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
