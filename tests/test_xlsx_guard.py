"""Workbooks cannot hurt the server (issue 12, item 6): every XLSX is inspected before it is parsed
(kpi/importing/xlsx_guard.py) and parsed in a child process with a memory and a time limit
(kpi/importing/xlsx_child.py); messages quote at most 100 characters of a value.

The bombs are built small inside the tests, as raw XML zipped with the standard library. Before
this work the first of them (one cell at XFD1048576) aborted the test process itself."""
from __future__ import annotations

import dataclasses
import io
import os
import random
import string
import tempfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from streamlit.testing.v1 import AppTest

from kpi.config import DEFAULT_RULES_PATH
from kpi.importing.error_report import error_frame
from kpi.importing.errors import QUOTE_MAX_CHARS, CellError, UploadRefused, quoted
from kpi.importing.parse import parse_upload
from kpi.importing.preview import workbook_sheet_names
from kpi.importing.read import read_file
from kpi.importing.templates import template_xlsx
from kpi.importing.xlsx_guard import WorkbookRefusal, first_cell_beyond, inspect_workbook
from kpi.rules import RulesError, load_rules, rules_from_dict
from tests.fixtures.apptest_helpers import signed_in
from tests.fixtures.import_fixtures import org_store, template_store

RULES = load_rules()
LIMITS = RULES.workbook
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
BEYOND = "超出上限（最多 1100000 行、200 列，即到 GR 列），请删去多余的行和列后重新保存"


def workbook(sheets: list[tuple[str, str]], shared: list[str] | None = None, dimension: str | None = None,
             extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal XLSX: `sheets` as (name, the XML inside <sheetData>), optional shared strings
    (raw XML inside each <si>), a <dimension ref> on every sheet, extra parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/'
                   'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                   'ContentType="application/xml"/></Types>')
        z.writestr("_rels/.rels", f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                                  f'relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                                  f'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>' + "".join(
            f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, (name, _) in enumerate(sheets, 1))
            + "</sheets></workbook>")
        rels = "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, len(sheets) + 1))
        if shared is not None:
            rels += f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">' + "".join(f"<si>{s}</si>" for s in shared)
                       + "</sst>")
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/'
                                                 f'package/2006/relationships">{rels}</Relationships>')
        dim = f'<dimension ref="{dimension}"/>' if dimension else ""
        for i, (_, cells) in enumerate(sheets, 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", f'<worksheet xmlns="{MAIN}" xmlns:x="{MAIN}">{dim}'
                                                      f"<sheetData>{cells}</sheetData></worksheet>")
        for name, body in (extra or {}).items():
            z.writestr(name, body)
    return out.getvalue()


def refusal(data: bytes, limits=LIMITS) -> str:
    """The one whole-file message reading `data` ends in (read_file raises UploadRefused)."""
    with pytest.raises(UploadRefused) as caught:
        read_file(data, "upload.xlsx", 50, limits=limits)
    assert len(caught.value.errors) == 1
    return caught.value.errors[0].message("zh")


def loads(data: bytes, limits=LIMITS) -> list[list[str]]:
    """The first sheet's cells when `data` is read."""
    raw = read_file(data, "upload.xlsx", 50, limits=limits)
    return raw.grids[0].head(100)


def limits_with(**changes):
    return dataclasses.replace(LIMITS, **changes)


XFD_BOMB = workbook([("Sheet1", '<row r="1"><c r="A1"><v>1</v></c></row>'
                                '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')])


def test_a_small_workbook_reads_as_before():
    data = workbook([("Sheet1", '<row r="1"><c r="A1" t="inlineStr"><is><t>单位编码</t></is></c>'
                                '<c r="B1"><v>3</v></c></row>')])
    assert loads(data) == [["单位编码", "3"]]


def test_one_cell_at_xfd1048576_is_refused_and_the_process_lives_on():
    assert len(XFD_BOMB) < 2048
    pid = os.getpid()
    assert refusal(XFD_BOMB) == f"整个文件：工作表“Sheet1”中有单元格 XFD1048576，{BEYOND}"
    assert os.getpid() == pid
    assert loads(workbook([("Sheet1", '<row r="1"><c r="A1"><v>7</v></c></row>')])) == [["7"]]


def test_the_same_bomb_through_parse_upload_and_the_sheet_names():
    with tempfile.TemporaryDirectory() as folder:
        opened = org_store(Path(folder) / "t.duckdb")
        try:
            with pytest.raises(UploadRefused) as caught:
                parse_upload(XFD_BOMB, "bomb.xlsx", "meetings", opened.cursor(), RULES)
        finally:
            opened.close()
    assert caught.value.errors[0].message("en") == (
        "whole file: sheet “Sheet1” has a cell at XFD1048576, beyond the limit of 1100000 rows and 200 columns "
        "(up to column GR); delete the extra rows and columns and save again")
    # Reading the sheet names opens no worksheet: the names come back, read in a child.
    assert workbook_sheet_names(XFD_BOMB, LIMITS) == ["Sheet1"]


def test_a_declared_dimension_beyond_the_limit_is_refused():
    data = workbook([("Sheet1", '<row r="1"><c r="A1"><v>1</v></c></row>')], dimension="A1:XFD1048576")
    assert refusal(data) == f"整个文件：工作表“Sheet1”声明的区域为 A1:XFD1048576，{BEYOND}"
    assert loads(workbook([("Sheet1", '<row r="1"><c r="A1"><v>1</v></c></row>')], dimension="A1:GR1100000")) \
        == [["1"]]


def _random_text(n: int) -> str:
    """Letters that do not compress much (the ratio check stays out of the way)."""
    return "".join(random.Random(n).choices(string.ascii_letters, k=n))


def test_a_shared_string_longer_than_a_cell_may_hold_is_refused():
    cells = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    data = workbook([("Sheet1", cells)], shared=[f"<t>{_random_text(32_768)}</t>"])
    assert refusal(data) == "整个文件：工作簿中有一段文字长 32768 个字符，超过单元格上限 32767 个字符"
    longest = _random_text(32_767)
    assert loads(workbook([("Sheet1", cells)], shared=[f"<t>{longest}</t>"])) == [[longest]]


def test_a_rich_shared_string_counts_all_its_runs_and_entities_once():
    half = _random_text(16_384)
    rich = f"<r><t>{half}</t></r><r><t>{half}&amp;</t></r>"  # 32 769 characters
    data = workbook([("Sheet1", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>')], shared=[rich])
    assert refusal(data) == "整个文件：工作簿中有一段文字长 32769 个字符，超过单元格上限 32767 个字符"


def test_a_high_compression_ratio_is_refused():
    data = workbook([("Sheet1", '<row r="1"><c r="A1"><v>1</v></c></row>')],
                    extra={"xl/media/blank.bin": bytes(5_000_000)})
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        ratio = sum(i.file_size for i in z.infolist()) / len(data)
    assert ratio > 100
    assert refusal(data) == (f"整个文件：工作簿解压后是文件大小的 {ratio:.0f} 倍，超过上限 100 倍，"
                             "不是正常的 Excel 文件，请在 Excel 或 WPS 中重新保存后再上传")


def test_a_workbook_unpacking_beyond_the_limit_is_refused():
    data = workbook([("Sheet1", '<row r="1"><c r="A1"><v>1</v></c></row>')],
                    extra={"xl/media/noise.bin": random.Random(1).randbytes(1_200_000)})
    assert refusal(data, limits_with(max_unpacked_mb=1)) == \
        "整个文件：工作簿解压后共 1.1 MB，超过上限 1 MB，请拆分后分别上传"


def test_too_many_sheets_are_refused():
    data = workbook([(f"S{i}", '<row r="1"><c r="A1"><v>1</v></c></row>') for i in range(51)])
    assert refusal(data) == "整个文件：工作簿有 51 个工作表，超过上限 50 个，请删去不需要的工作表"
    assert workbook_sheet_names(data, LIMITS) == []
    assert len(workbook_sheet_names(data, limits_with(max_sheets=51))) == 51


def test_a_part_inflating_beyond_its_declared_size_is_refused():
    data = bytearray(workbook([("Sheet1", '<row r="1"><c r="A1"><v>1</v></c></row>' * 50)]))
    entry = data.rfind(b"PK\x01\x02", 0, data.rindex(b"xl/worksheets/sheet1.xml"))  # its central directory entry
    assert data[entry + 46:entry + 46 + 24] == b"xl/worksheets/sheet1.xml"
    data[entry + 24:entry + 28] = (100).to_bytes(4, "little")  # declares 100 bytes unpacked
    assert refusal(bytes(data)) == ("整个文件：工作簿中的“xl/worksheets/sheet1.xml”解压后超过其声明的 100 字节，"
                                    "文件已损坏或被改动，请在 Excel 或 WPS 中重新保存后再上传")


@pytest.mark.parametrize(("cells", "ref"), [
    # 201 cells without `r` in one row: the last takes column 201 (GS)
    ('<row r="1">' + "<c><v>1</v></c>" * 201 + "</row>", "GS1"),
    ('<row r="1100001"><c><v>1</v></c></row>', "A1100001"),
    ('<row r="3"><x:c r="XFD3"><x:v>1</x:v></x:c></row>', "XFD3"),
    ("<row r='1'><c r='ZZ1'><v>1</v></c></row>", "ZZ1"),
    ('<row r="1"><c\tr="GS1"><v>1</v></c></row>', "GS1"),
    ('<row r="1"><c r = "GS1"><v>1</v></c></row>', "GS1"),
    ('<row r="1"><c r="gs1"><v>1</v></c></row>', "GS1"),
    ('<row r="1"><c r="A1" r="GS1"><v>1</v></c></row>', "GS1"),  # the last r counts, as in calamine
    ('<row r="1"><c s="0" r="A0001100001"><v>1</v></c></row>', "A1100001"),
    ('<row r="1"><c r="GR1"><v>1</v></c><c><v>2</v></c></row>', "GS1"),
    ('<row r="1"><c x="<" r="GS1"><v>1</v></c></row>', "GS1"),
])
def test_every_way_of_writing_a_far_cell_is_found(cells, ref):
    assert refusal(workbook([("Sheet1", cells)])) == f"整个文件：工作表“Sheet1”中有单元格 {ref}，{BEYOND}"


@pytest.mark.parametrize(("cells", "rows"), [
    ('<row r="1"><c r="A1"><v>1</v></c><c r="ZZ1" s="1"/></row>', [["1"]]),  # an empty styled cell
    ('<row r="1"><!-- <c r="ZZ9"><v>1</v></c> --><c r="B1"><v>1</v></c></row>', [["", "1"]]),
    ('<row r="1"><c r="GR1"><v>1</v></c></row>', [[""] * 199 + ["1"]]),
    ('<row r="1"><c r="A1" t="inlineStr"><is><t>x r="XFD1"</t></is></c></row>', [['x r="XFD1"']]),
])
def test_what_calamine_does_not_place_beyond_the_limit_loads(cells, rows):
    assert loads(workbook([("Sheet1", cells)])) == rows


SMALL = dataclasses.replace(LIMITS, max_rows=6, max_columns=4)
_REF = st.tuples(st.sampled_from("ABCDEFabcdef"), st.integers(1, 8)).map(lambda t: f"{t[0]}{t[1]}")
_CELL = st.one_of(
    _REF.map(lambda r: f'<c r="{r}"><v>1</v></c>'),
    _REF.map(lambda r: f"<c r='{r}'><v>1</v></c>"),
    _REF.map(lambda r: f'<c s="0"\nr="{r}"><v>1</v></c>'),
    _REF.map(lambda r: f'<x:c r="{r}"><x:v>1</x:v></x:c>'),
    _REF.map(lambda r: f'<c r="{r}" s="0"/>'),
    st.just("<c><v>1</v></c>"), st.just("<c/>"))
_ROW = st.tuples(st.one_of(st.none(), st.integers(1, 8)), st.lists(_CELL, max_size=6), st.booleans())


def _row(spec) -> str:
    r, cells, empty = spec
    attr = f' r="{r}"' if r is not None else ""
    return f"<row{attr}/>" if empty and not cells else f"<row{attr}>{''.join(cells)}</row>"


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_ROW, max_size=6))
def test_the_scan_places_cells_where_calamine_does(rows):
    """Against calamine itself (tiny sheets, read in this process): the inspection refuses a
    sheet exactly when calamine places a value beyond SMALL's 6 rows × 4 columns."""
    data = workbook([("S", "".join(_row(r) for r in rows))])
    grid = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("S").to_python(skip_empty_area=False)
    beyond = len(grid) > SMALL.max_rows or max((len(r) for r in grid), default=0) > SMALL.max_columns
    try:
        inspect_workbook(data, SMALL)
        refused = False
    except WorkbookRefusal as exc:
        assert exc.reason == "xlsx_cell_beyond"
        refused = True
    assert refused == beyond
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert (first_cell_beyond(sheet, SMALL) is not None) == beyond


def test_a_child_out_of_memory_refuses_the_file():
    """The limits let A1 and GR60000 through; calamine then needs 12 million cells, far beyond a
    64 MB allowance: the child fails its allocation and the file is refused."""
    data = workbook([("Sheet1", '<row r="1"><c r="A1"><v>1</v></c></row>'
                                '<row r="60000"><c r="GR60000"><v>1</v></c></row>')])
    assert refusal(data, limits_with(parse_memory_mb=64)) == \
        "整个文件：读取该工作簿所需的内存超过上限 64 MB，已停止读取，请拆分后分别上传"


def test_calamine_aborting_is_a_refusal_when_the_guard_lets_xfd1048576_through():
    """With limits as wide as Excel's the inspection passes the bomb: calamine asks for 512 GiB
    in the child, which dies; the file is refused and this process lives on."""
    wide = limits_with(max_rows=1_048_576, max_columns=16_384)
    assert refusal(XFD_BOMB, wide) == "整个文件：读取该工作簿所需的内存超过上限 2048 MB，已停止读取，请拆分后分别上传"
    assert loads(workbook([("Sheet1", '<row r="1"><c r="A1"><v>5</v></c></row>')])) == [["5"]]


def test_a_child_running_past_its_time_is_killed_and_the_file_refused():
    cells = '<row r="1">' + "<c><v>1</v></c>" * 120 + "</row>"  # no `r`: the exact, slow reading
    data = workbook([("Sheet1", cells * 40_000)])
    assert refusal(data, limits_with(parse_seconds=1, max_compression_ratio=10_000)) == \
        "整个文件：读取该工作簿超过 1 秒仍未完成，已停止读取，请拆分后分别上传"


def test_quoted_keeps_the_first_100_characters():
    assert QUOTE_MAX_CHARS == 100
    assert quoted("短值") == "短值"
    assert quoted("x" * 100) == "x" * 100
    assert quoted("y" * 20_000_000) == "y" * 100 + "…"
    error = CellError(3, "日期", "z" * 5000, "duplicate_key", {"first_row": 2, "key": "k" * 5000}, sheet="s" * 300)
    assert error.message("zh") == (f"工作表“{'s' * 100}…”，第 3 行，“日期”列，值“{'z' * 100}…”："
                                   f"与第 2 行重复（{'k' * 100}…），但内容不同")
    frame = error_frame([error])
    assert frame.iloc[0, 3] == "z" * 100 + "…"


def test_a_huge_cell_is_quoted_not_echoed():
    huge = "2025-13-" + "9" * 2_000_000
    data = ("单位编码,会议类型,日期,应到人数,实到人数,主题\n"
            f"B0111,党小组会,{huge},9,9,学习党章\n").encode()
    with tempfile.TemporaryDirectory() as folder:
        opened = org_store(Path(folder) / "t.duckdb")
        try:
            parsed = parse_upload(data, "m.csv", "meetings", opened.cursor(), RULES)
        finally:
            opened.close()
    [error] = [e for e in parsed.errors if e.reason == "not_date"]
    assert error.message("zh") == (f"第 2 行，“日期”列，值“{huge[:100]}…”：不是有效日期，可写作 2025-03-05、2025/3/5、"
                                   "2025年3月5日 或 20250305")


def _rules_file(**keys) -> dict:
    with DEFAULT_RULES_PATH.open("rb") as fh:
        data = tomllib.load(fh)
    data["import"].update(keys)
    return data


def test_the_limits_come_from_the_rules_file_validated_with_defaults():
    assert LIMITS == dataclasses.replace(LIMITS, max_unpacked_mb=500, max_compression_ratio=100, max_sheets=50,
                                         max_rows=1_100_000, max_columns=200, max_text_chars=32_767,
                                         parse_memory_mb=2048, parse_seconds=120)
    assert rules_from_dict(_rules_file(xlsx_max_columns=30)).workbook.max_columns == 30
    bare = _rules_file()
    for key in [k for k in bare["import"] if k.startswith("xlsx_")]:
        del bare["import"][key]
    assert rules_from_dict(bare).workbook == type(LIMITS)()
    with pytest.raises(RulesError) as caught:
        rules_from_dict(_rules_file(xlsx_max_columns=20_000))
    assert caught.value.message("zh") == "规则文件有误：import.xlsx_max_columns — 20000 超出允许范围 1–16384"
    with pytest.raises(RulesError) as caught:
        rules_from_dict(_rules_file(xlsx_parse_seconds="fast"))
    assert caught.value.message("en") == "Rules file error: import.xlsx_parse_seconds — must be a number, got fast"


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = template_store(tmp_path / "app.duckdb")
    monkeypatch.setenv("DJ_DB", str(path))
    return path


def test_the_upload_page_refuses_the_bomb_and_keeps_serving(db):
    """The page runs in this process, as in the server: before, this upload aborted it."""
    at = signed_in(AppTest.from_file("../app.py", default_timeout=60))
    at.run()
    at.switch_page("pages/upload.py").run()
    at.selectbox(key="upload_dataset").set_value("meetings").run()
    at.file_uploader[0].set_value(("炸弹.xlsx", XFD_BOMB, "application/octet-stream")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"文件未被接受：整个文件：工作表“Sheet1”中有单元格 XFD1048576，{BEYOND}"]
    at.file_uploader[0].set_value(("会议.xlsx", template_xlsx("meetings"), "application/octet-stream")).run()
    assert not at.exception
    assert len(at.error) == 0
    assert [m.label for m in at.metric] == ["新增", "更新", "不变", "错误"]
