"""The audit log: appended entries, bound filters (injection strings find nothing), labelled export,
rules-file changes noticed, formula cells neutralised in its CSV / XLSX."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from kpi import store
from kpi.access import audit
from kpi.display import audit as audit_text
from kpi.display.exports import to_csv_bytes, to_xlsx_bytes

T0 = dt.datetime(2025, 7, 1, 9, 0, 0)
INJECTIONS = ("' OR 1=1 --", "admin'; DROP TABLE audit_log; --", '" OR ""="', "%", "_", "\\", "NULL")


@pytest.fixture
def con(store_spec):
    s = store.open_store(store_spec)
    c = s.cursor()
    audit.record(c, "admin", "sign_in", at=T0)
    audit.record(c, "ana", "upload", "#3 meetings.csv", "meetings: +2 ~0 =1", at=T0 + dt.timedelta(days=1))
    audit.record(c, "ana", "export", "=cmd|' /C calc'!A0", at=T0 + dt.timedelta(days=2))
    audit.record(c, None, "sign_in_failed", detail="bad_credentials", at=T0 + dt.timedelta(days=2))
    yield c
    s.close()


def test_entries_newest_first_and_filters(con):
    assert list(audit.entries(con).action) == ["sign_in_failed", "export", "upload", "sign_in"]
    assert list(audit.entries(con, "ana").target) == ["=cmd|' /C calc'!A0", "#3 meetings.csv"]
    assert list(audit.entries(con, actions=("sign_in", "upload")).id) == [2, 1]
    day2 = dt.date(2025, 7, 2)
    assert list(audit.entries(con, start=day2, end=day2).action) == ["upload"]
    assert audit.users_in_log(con) == ["admin", "ana"]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_in_filters_match_nothing_and_change_nothing(con, text):
    before = store.table_checksums(con)
    assert audit.entries(con, text).empty
    assert audit.entries(con, actions=(text,)).empty
    assert store.table_checksums(con) == before


def test_unknown_action_is_refused(con):
    with pytest.raises(ValueError):
        audit.record(con, "x", "format_disk")


def test_labelled_entries_in_both_languages(con):
    zh = audit_text.labelled_entries(audit.entries(con, "admin"), "zh")
    assert list(zh.columns) == ["序号", "时间", "用户", "操作", "对象", "详情"]
    assert zh.iloc[0].tolist() == [1, "2025-07-01 09:00:00", "admin", "登录", "", ""]
    en = audit_text.labelled_entries(audit.entries(con, "ana", ("upload",)), "en")
    assert en.iloc[0].tolist() == [2, "2025-07-02 09:00:00", "ana", "Upload", "#3 meetings.csv", "meetings: +2 ~0 =1"]


def test_exported_log_neutralises_formula_cells(con):
    table = audit_text.labelled_entries(audit.entries(con, "ana"), "zh")
    csv = pd.read_csv(io.BytesIO(to_csv_bytes(table)), encoding="utf-8-sig")
    assert csv["对象"].tolist() == ["'=cmd|' /C calc'!A0", "#3 meetings.csv"]
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(table))).active
    cell = sheet.cell(row=2, column=5)
    assert (cell.value, cell.data_type) == ("'=cmd|' /C calc'!A0", "s")


@pytest.mark.both_kinds
def test_rules_file_change_is_recorded_once(con, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("a = 1\n")
    assert audit.note_rules_file(con, rules, "admin") is False  # first sighting: remembered only
    assert audit.note_rules_file(con, rules, "admin") is False
    rules.write_text("a = 2\n")
    assert audit.note_rules_file(con, rules, "ana") is True
    assert audit.note_rules_file(con, rules, "ana") is False
    changes = audit.entries(con, actions=("rules_changed",))
    assert len(changes) == 1
    assert (changes.username[0], changes.target[0]) == ("ana", str(rules))


def test_details_of_sign_ins_and_account_changes_are_translated():
    assert audit_text.detail_text("sign_in", "password", "zh") == "密码"
    assert audit_text.detail_text("sign_in", "sso", "en") == "single sign-on"
    assert audit_text.detail_text("sign_in_failed", "setup: bad_setup_token", "zh") == "初始化: 初始化令牌错误"
    assert audit_text.detail_text("account_created", "管理员 G01", "en") == "Administrator G01"
    assert audit_text.detail_text("account_changed", "role, password", "zh") == "角色, 密码"
    assert audit_text.detail_text("edit", "#12 status, due_date", "en") == "#12 Status, Deadline"
    # Other actions' details (files, digests, paths) and unknown words stay as stored.
    assert audit_text.detail_text("rules_changed", "sha256 0a1b → 2c3d", "en") == "sha256 0a1b → 2c3d"
    assert audit_text.detail_text("sign_in_failed", "something_new", "zh") == "something_new"
    assert audit_text.detail_text("sign_in", None, "zh") == ""
