"""A store whose user text is hostile: the demo group with unit names, an uploaded batch's file name,
a meeting's topic and the demo administrator's display name carrying Markdown, LaTeX, HTML, links,
images and bare URLs — written through the importer and the account code, as users would (each
write bumps the data version). Shared by tests/test_user_text.py (AppTest) and
tests/test_e2e_user_text.py."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd

from kpi import config, demo, store
from kpi.access import accounts
from kpi.importing.commit import commit_upload
from kpi.importing.parse import parse_upload
from kpi.rules import load_rules

# The demo group G, its secondary unit G01, G01's first tertiary unit and that unit's first branch.
NAMES = {
    "G": "集团[官网](https://evil.example/g)",
    "G01": "二级![徽标](http://evil.example/s.png)$x^2$",
    "G0101": '三级<img src="http://evil.example/t.png"><a href="https://evil.example/t">链接</a>',
    "G010101": "支部 https://evil.example/b www.evil.example a@evil.example :material/home: **粗** _斜_ `码`",
}
FILE_NAME = "组织[文件](https://evil.example/f)![](http://evil.example/f.png)$y$.csv"
DISPLAY_NAME = "管理员[我](https://evil.example/u) $$z$$"
SHEET = "www.evil.example $z^2$ <b>表"  # Excel forbids [ ] : / \ ? * in sheet names
HEADER = "[头](https://evil.example/h)"
TOPIC = '主题<a href="https://evil.example/m">会</a> %{customdata[0]} $t$'  # hover text of the branch calendar
ADMIN = "admin"  # the demo administrator (tests/browser.py DEMO_ADMIN)


def units_file(con) -> bytes:
    """The four units as stored, renamed: a 组织架构 CSV the importer reads like any upload."""
    rows = con.execute("SELECT unit_code, unit_name, parent_code, level, org_type, member_count, staff_count "
                       "FROM units WHERE unit_code IN (SELECT unnest(?)) ORDER BY unit_code", [list(NAMES)]).df()
    rows["unit_name"] = rows["unit_code"].map(NAMES)
    headers = ["单位编码", "单位名称", "上级单位编码", "层级", "组织类型", "党员数", "职工数"]
    return rows.set_axis(headers, axis=1).to_csv(index=False).encode("utf-8")


def meetings_file(day: dt.date) -> bytes:
    """One meeting of the renamed branch on `day`, its topic hostile."""
    row = {"单位编码": "G010101", "会议类型": "主题党日", "日期": day.isoformat(), "应到人数": 10, "实到人数": 9,
           "主题": TOPIC}
    return pd.DataFrame([row]).to_csv(index=False).encode("utf-8")


def workbook() -> bytes:
    """A one-sheet 组织架构 workbook with the hostile sheet name and an extra, unknown header."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(["单位编码", "单位名称", "上级单位编码", "层级", "组织类型", HEADER])
    sheet.append(["G019999", "新支部", "G0101", 4, "党支部", "x"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def make_hostile_store(path: Path, as_of: dt.date | None = None) -> None:
    """Write the hostile demo store at `path` (closed again: a server or AppTest opens it)."""
    opened = store.open_store(path)
    try:
        con, rules = opened.cursor(), load_rules(config.rules_path())
        demo.load_demo(con, as_of or dt.date.today())
        accounts.create_demo_accounts(con, rules)
        admin = accounts.get_account(con, ADMIN)
        accounts.update_account(con, rules, admin.username, role=admin.role, unit_code=admin.unit_code,
                                     display_name=DISPLAY_NAME, email=admin.email, disabled=False, by=None)
        version = store.data_version(con)
        meeting = parse_upload(meetings_file(as_of or dt.date.today()), "meetings.csv", "meetings", con, rules)
        assert meeting.errors == [] and meeting.row_count == 1
        commit_upload(con, meeting, admin.username)
        # The units last: the newest batch, the one the history page offers to undo first.
        parsed = parse_upload(units_file(con), FILE_NAME, "units", con, rules)
        assert parsed.errors == [] and parsed.row_count == len(NAMES)
        commit_upload(con, parsed, admin.username)
        assert store.data_version(con) > version
    finally:
        opened.close()
