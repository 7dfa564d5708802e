"""数据上传: choose a dataset, get its template, upload, check the preview and diff, commit."""
import datetime as dt

import streamlit as st

from kpi import actions, store
from kpi.access import roles
from kpi.datasets import DATASETS, PROBLEMS
from kpi.importing.commit import BatchRefused, diff_counts, find_same_upload, same_file_refusal
from kpi.importing.errors import UploadRefused
from kpi.importing.parse import error_report_xlsx
from kpi.importing.preview import PREVIEW_ROWS, error_table, mapping_frame, preview_frame, workbook_sheet_names
from kpi.importing.templates import template_xlsx
from pages import _ui

account = _ui.require_role(__file__)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon"}


def _parsed(data: bytes, name: str, dataset: str, sheet: str | None, all_sheets: bool):
    """Parse once per file and choice (and store version: unit codes resolve against the store);
    kept only in this session's memory. Parsed within the account's scope: rows it may not write
    are errors before any preview or diff is drawn."""
    key = (dataset, name, hash(data), sheet, all_sheets, account.unit_code, store.data_version(_ui.cursor()))
    cached = st.session_state.get("upload_parsed")
    if cached is None or cached[0] != key:
        try:
            result = actions.parse_for_upload(_ui.cursor(), _ui.get_rules(), account, data, name, dataset,
                                              sheet=sheet, all_sheets=all_sheets)
        except UploadRefused as exc:
            result = exc
        st.session_state["upload_parsed"] = (key, result)
    return st.session_state["upload_parsed"][1]


def _sheet_names(data: bytes) -> list[str]:
    """The workbook's sheet names, read once per file (reading runs in a child process): not again
    on every rerun of the page."""
    key = hash(data)
    cached = st.session_state.get("upload_sheets")
    if cached is None or cached[0] != key:
        st.session_state["upload_sheets"] = (key, workbook_sheet_names(data, rules.workbook))
    return st.session_state["upload_sheets"][1]


def _parsed_version() -> int:
    """The data version the cached parse (so the preview on screen) was made against: its key's last part."""
    return st.session_state["upload_parsed"][0][-1]


def _note_commit_version(version: int) -> None:
    """on_click of 确认写入: the data version of the preview on screen when the user clicked (bound when
    the button was drawn). The click's rerun parses again if the store has changed since; the commit
    is then refused as stale, so the user confirms the new diff, never the old one."""
    st.session_state["upload_commit_version"] = version


def _how_read(parsed) -> str:
    if parsed.encoding is None:
        return _ui.tr_md("upload.read_xlsx", sheets="、".join(s for s in dict.fromkeys(parsed.row_sheets) if s)
                      or "、".join(parsed.sheets[:1]))
    delim = DELIMITERS.get(parsed.delimiter)
    label = _ui.tr(f"upload.delimiter.{delim}") if delim else _ui.tr("upload.delimiter.other", char=parsed.delimiter)
    return _ui.tr_md("upload.read_csv", encoding=parsed.encoding, delimiter=label)


def _show(parsed, dataset: str, as_of: dt.date) -> None:
    lang = _ui.lang()
    st.caption(_how_read(parsed))
    st.caption(_ui.tr("upload.dropped", **parsed.dropped))
    con = _ui.cursor()
    diff = diff_counts(con, parsed)
    cols = st.columns(4)
    for col, key, value in zip(cols, ("new", "updated", "unchanged", "errors"),
                               (diff.new, diff.updated, diff.unchanged, diff.errors)):
        col.metric(_ui.tr(f"upload.diff.{key}"), value)
    key_labels = "、".join(DATASETS[dataset].column(k).header if lang == "zh" else k for k in DATASETS[dataset].key)
    st.caption(_ui.tr("upload.diff.help", columns=key_labels))

    with st.expander(_ui.tr("upload.mapping.title"), expanded=bool(parsed.unmapped)):
        _ui.table(mapping_frame(parsed, lang))
        if parsed.unmapped:
            st.caption(_ui.tr_md("upload.unmapped", headers="、".join(parsed.unmapped)))

    if parsed.errors:
        st.error(_ui.tr("upload.errors.title", n=len(parsed.errors)))
        _ui.table(error_table(parsed.errors, lang))
        st.download_button(_ui.tr("upload.errors.download"), error_report_xlsx(parsed.errors, lang),
                           _ui.tr("upload.errors.file_name"), XLSX_MIME, key="upload_error_report")

    st.subheader(_ui.tr("upload.preview.title", shown=min(PREVIEW_ROWS, parsed.row_count), total=parsed.row_count))
    _ui.table(preview_frame(parsed, lang))

    if parsed.errors:
        return
    same = find_same_upload(con, parsed)
    if same is not None:
        st.warning(_ui.refusal(same_file_refusal(same)))
        return
    version = _parsed_version()
    if st.button(_ui.tr("upload.commit", n=parsed.row_count), type="primary", key="upload_commit",
                 on_click=_note_commit_version, args=(version,)):
        try:
            # rows outside the subtree: refused, named; the audit row is written with the batch
            result = actions.upload(_ui.cursor(), account, account.username, parsed, as_of=as_of,
                                    expected_version=st.session_state.pop("upload_commit_version", version))
        except (UploadRefused, BatchRefused, roles.AuthError, store.WriteRefused) as exc:
            messages = [_ui.refusal(e) for e in exc.errors] if isinstance(exc, UploadRefused) else [_ui.refusal(exc)]
            for message in messages:
                st.error(message)
            return
        st.session_state["upload_done"] = _ui.tr("upload.committed", batch_id=result.batch_id, new=result.inserted,
                                                 updated=result.updated, unchanged=result.unchanged)
        st.rerun()


st.title(_ui.tr("upload.page_title"))
st.caption(_ui.tr("upload.intro"))
if "upload_done" in st.session_state:
    st.success(st.session_state.pop("upload_done"))

rules = _ui.get_rules()
dataset = st.selectbox(_ui.tr("upload.dataset"), list(DATASETS), key="upload_dataset",
                       format_func=lambda d: _ui.tr(f"common.dataset.{d}"))
dataset_name = _ui.tr(f"common.dataset.{dataset}")
st.download_button(_ui.tr("upload.template", dataset=dataset_name), template_xlsx(dataset, _ui.lang(), rules),
                   _ui.tr("upload.template_file", dataset=dataset_name), XLSX_MIME, key="upload_template")
uploaded = _ui.file_uploader(_ui.tr("upload.file", cap=f"{rules.max_file_mb:g}"), ["csv", "tsv", "txt", "xlsx"],
                             rules.max_file_mb, key=f"upload_file_{dataset}")
as_of = dt.date.today()
if dataset == PROBLEMS.name:
    as_of = st.date_input(_ui.tr("upload.as_of"), value=_ui.as_of(), key="upload_as_of")

if uploaded is not None:
    data = uploaded.getvalue()
    sheets = _sheet_names(data)
    sheet, all_sheets = None, False
    if len(sheets) > 1:
        choice = st.selectbox(_ui.tr("upload.sheet"), ["", *sheets], key="upload_sheet",
                              format_func=lambda s: _ui.tr("upload.all_sheets") if s == "" else s,
                              index=1)
        sheet, all_sheets = (None, True) if choice == "" else (choice, False)
    result = _parsed(data, uploaded.name, dataset, sheet, all_sheets)
    if isinstance(result, UploadRefused):
        for error in result.errors:
            st.error(_ui.tr_md("upload.refused", message=error.message(_ui.lang())))
    else:
        _show(result, dataset, as_of)
