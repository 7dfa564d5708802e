"""bytes → ParsedUpload: read, find the header, drop title/total/empty/duplicate rows, type and check.

    parse_upload(data, file_name, dataset, con, rules, *, sheet=None, all_sheets=False) -> ParsedUpload

Whole-file problems (too large, empty, binary, unreadable, no header, required columns missing,
no data rows, unknown sheet) raise UploadRefused. Everything else is a CellError in
`ParsedUpload.errors` naming the row as the user sees it, the header as written in the file,
the value as typed and the reason; `frame` keeps only the rows without any error.

Rows dropped on purpose, counted in `dropped`:
- title: non-empty rows above the header row; notes: a template's notes row right below it;
- empty: rows whose mapped cells are all empty or null words (—, 无, N/A, …);
- total: rows whose first three cells include one starting with 合计, 总计 or 小计;
- duplicate: a row whose mapped cells repeat an earlier row exactly. Two rows with the same
  natural key (Dataset.key) but different content are an error naming both rows.
How each kind of value is read is described in kpi/importing/values.py.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from kpi.datasets import Dataset, get_dataset
from kpi.importing.error_report import error_report_xlsx
from kpi.importing.errors import CellError, UploadRefused
from kpi.importing.headers import HeaderMatch, find_header, is_notes_row
from kpi.importing.model import ParsedUpload
from kpi.importing.read import Grid, read_file, refuse, sha256_of
from kpi.importing.validate import (
    Issue,
    UnitDirectory,
    cross_issues,
    duplicate_key_rows,
    range_issues,
    resolve_indicators,
    resolve_units,
    store_units,
)
from kpi.importing.values import convert, null_mask, per_distinct

__all__ = ["error_report_xlsx", "parse_upload", "sha256_of"]

TOTAL_WORDS = r"^(?:合计|总计|小计)"
TOTAL_SEARCH_COLUMNS = 3
# In a workbook read sheet by sheet, a sheet whose best header row names fewer columns than this
# (a 说明 guide listing one header per row) is not a data sheet.
MIN_SHEET_COLUMNS = 2
# Beyond this many errors of one reason in one column, one summary line stands for the rest.
ERRORS_PER_KIND = 10_000
CODE_LIKE = ("unit_code", "parent_code", "problem_id", "activity_id", "indicator_code")
DTYPES = {"text": "string", "enum": "string", "code": "string", "period": "string", "int": "Int64",
          "year": "Int64", "number": "Float64", "money": "Float64", "pct": "Float64", "score": "Float64",
          "date": "datetime64[s]", "bool": "boolean"}


def _part(grid: Grid, header: HeaderMatch, spec: Dataset, dropped: Counter) -> pd.DataFrame:
    """The data rows of one grid under its header: dataset column names, stripped text,
    plus _row (file row) and _sheet; title, notes, empty and total rows removed and counted."""
    above = grid.cells.iloc[:header.index]
    dropped["title"] += int((above.apply(lambda s: s.str.strip() != "").any(axis=1)).sum()) if len(above) else 0
    body = grid.cells.iloc[header.index + 1:]
    rows = grid.rows[header.index + 1:]
    if len(body) and is_notes_row([str(c) for c in body.iloc[0]]):
        dropped["notes"] += 1
        body, rows = body.iloc[1:], rows[1:]
    part = pd.DataFrame({name: per_distinct(body[i].astype(str), lambda s: s.str.strip())
                         for i, name in header.columns.items()})
    empty = pd.concat([per_distinct(part[c], null_mask) for c in part], axis=1).all(axis=1) if len(part) \
        else part.index == 0
    first = body.iloc[:, :TOTAL_SEARCH_COLUMNS].apply(lambda s: per_distinct(s.astype(str), _is_total))
    total = first.any(axis=1) & ~empty if len(part) else empty
    dropped["empty"] += int(empty.sum())
    dropped["total"] += int(total.sum())
    keep = np.asarray(~(empty | total), dtype=bool)
    part = part[keep]
    part["_row"] = rows[keep]
    part["_sheet"] = grid.sheet
    return part


def _is_total(cells: pd.Series) -> pd.Series:
    return cells.str.replace(r"\s+", "", regex=True).str.contains(TOTAL_WORDS, regex=True)


def _required_missing(spec: Dataset, header: HeaderMatch) -> list[str]:
    found = set(header.columns.values())
    return [c.name for c in spec.columns if c.required and c.name not in found]


def _refuse_missing(spec: Dataset, missing: list[str], sheet: str | None) -> UploadRefused:
    cols = [spec.column(n) for n in missing]
    return UploadRefused([CellError(None, None, None, "missing_columns", {
        "columns": "、".join(c.header for c in cols),
        "names": ", ".join(c.name for c in cols)}, sheet=sheet)])


def _refuse_no_header(spec: Dataset, sheet: str | None) -> UploadRefused:
    required = [c for c in spec.columns if c.required]
    return UploadRefused([CellError(None, None, None, "no_header", {
        "expected": "、".join(c.header for c in required),
        "names": ", ".join(c.name for c in required)}, sheet=sheet)])


def _parts(grids: list[Grid], spec: Dataset, dropped: Counter) -> tuple[list[pd.DataFrame], dict]:
    """The data rows of every grid that holds data, and each such sheet's header (by sheet name)."""
    parts, headers = [], {}
    for grid in grids:
        if not grid.cells.size or not (grid.cells != "").any().any():
            continue
        header = find_header(grid.cells, spec)
        if len(grids) > 1 and (header is None or len(header.columns) < MIN_SHEET_COLUMNS):
            continue  # a guide or summary sheet beside the monthly sheets of a workbook
        if header is None:
            raise _refuse_no_header(spec, grid.sheet)
        missing = _required_missing(spec, header)
        if missing:
            raise _refuse_missing(spec, missing, grid.sheet)
        parts.append(_part(grid, header, spec, dropped))
        headers[grid.sheet] = header
    if not parts:
        raise _refuse_no_header(spec, None)
    return parts, headers


def parse_upload(data: bytes, file_name: str, dataset: str, con, rules, *, sheet: str | None = None,
                 all_sheets: bool = False) -> ParsedUpload:
    """Read and validate an uploaded CSV/XLSX against `dataset` (see module docstring).

    `con` is a DuckDB cursor on the store (unit codes and names to resolve); `rules` gives
    max_file_mb, min_year, max_year. Raises UploadRefused for whole-file problems only.
    """
    spec = get_dataset(dataset)
    raw = read_file(data, file_name, rules.max_file_mb, sheet, all_sheets)
    dropped: Counter = Counter()
    parts, headers = _parts(raw.grids, spec, dropped)
    cells = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    if cells.empty:
        raise refuse("no_data_rows")
    mapped = [c for c in spec.names if c in cells]
    # Sheets of one workbook may carry different columns: a column a sheet lacks is empty there.
    cells[mapped] = cells[mapped].fillna("")
    dup = cells.duplicated(subset=mapped, keep="first")
    dropped["duplicate"] += int(dup.sum())
    cells = cells[~dup].reset_index(drop=True)

    typed, issues = _typed(cells, spec, con, rules)
    errors = _errors(issues, cells, spec, raw.grids, headers, several_sheets=len(raw.sheets) > 1)
    bad_rows = np.zeros(len(cells), dtype=bool)
    for issue in issues:
        bad_rows |= issue.mask.to_numpy(dtype=bool)
    frame = typed.loc[~bad_rows].reset_index(drop=True)
    mapping: dict[str, str] = {}
    unmapped: list[str] = []
    for header in headers.values():
        for i, name in header.columns.items():
            mapping.setdefault(header.headers[i], name)
        unmapped += [u for u in header.unmapped if u not in unmapped]
    return ParsedUpload(
        dataset=dataset, file_name=file_name, sha256=sha256_of(data), frame=frame,
        file_rows=[int(r) for r in cells["_row"].to_numpy()[~bad_rows]],
        row_sheets=list(cells["_sheet"].to_numpy()[~bad_rows]),
        mapping=mapping, unmapped=unmapped, encoding=raw.encoding, delimiter=raw.delimiter,
        sheets=raw.sheets, dropped={k: dropped.get(k, 0) for k in ("title", "notes", "total", "empty", "duplicate")},
        errors=errors)


def _typed(cells: pd.DataFrame, spec: Dataset, con, rules) -> tuple[pd.DataFrame, list[Issue]]:
    """The frame in canonical dtypes, and every issue found on the way."""
    typed = pd.DataFrame(index=cells.index)
    issues: list[Issue] = []
    for col in spec.columns:
        if col.name not in cells:
            typed[col.name] = pd.Series(pd.NA, index=cells.index, dtype=DTYPES[col.kind])
            continue
        kind = "code" if col.name in CODE_LIKE and col.kind == "text" else col.kind
        conv = convert(cells[col.name], kind, col.choices)
        typed[col.name] = conv.values.astype(DTYPES[col.kind])
        if conv.bad.any():
            issues.append(Issue(conv.bad, col.name, conv.reason, conv.params))
        if col.required:
            empty = typed[col.name].isna() & ~conv.bad
            if empty.any():
                issues.append(Issue(empty, col.name, "required"))
    issues += _unit_issues(typed, spec, con)
    if "indicator_code" in typed:
        typed["indicator_code"], found = resolve_indicators(typed["indicator_code"], rules.indicators)
        issues += found
    issues += range_issues(typed, spec, rules.min_year, rules.max_year)
    issues += cross_issues(typed, spec)
    issues += _duplicate_issues(typed, cells, spec)
    return typed, issues


def _unit_issues(typed: pd.DataFrame, spec: Dataset, con) -> list[Issue]:
    pairs = store_units(con)
    if spec.name == "units":
        own = typed[["unit_code", "unit_name"]].dropna(subset=["unit_code"])
        pairs = pairs + list(own.itertuples(index=False, name=None))
        targets = ["parent_code"]
    else:
        targets = [c.name for c in spec.columns if c.kind == "code"]
    directory = UnitDirectory.from_pairs(pairs)
    issues = []
    for name in targets:
        resolved, found = resolve_units(typed[name], directory)
        typed[name] = resolved
        for issue in found:
            issue.column = name
        issues += found
    return issues


def _duplicate_issues(typed: pd.DataFrame, cells: pd.DataFrame, spec: Dataset) -> list[Issue]:
    mask, first = duplicate_key_rows(typed, spec.key)
    if not mask.any():
        return []
    rows, sheets = cells["_row"], cells["_sheet"]

    def params(i: int) -> dict:
        j = int(first.at[i])
        out = {"first_row": int(rows.at[j]), "key": "、".join(cells.at[i, k] for k in spec.key)}
        if sheets.at[j] != sheets.at[i]:
            out["first_sheet"] = sheets.at[j]
        return out

    column = spec.key[0] if len(spec.key) == 1 else None
    return [Issue(mask, column, "duplicate_key", params)]


def _errors(issues: list[Issue], cells: pd.DataFrame, spec: Dataset, grids: list[Grid],
            headers: dict[str | None, HeaderMatch], several_sheets: bool) -> list[CellError]:
    """CellErrors of every issue, in file order, at most ERRORS_PER_KIND per column and reason."""
    written = {}
    for sheet, header in headers.items():
        written[sheet] = {name: header.headers[i] for i, name in header.columns.items()}
    order = {name: i for i, name in enumerate(spec.names)}
    sheet_order = {g.sheet: i for i, g in enumerate(grids)}
    rows, sheets = cells["_row"].to_numpy(), cells["_sheet"].to_numpy()
    out: list[tuple] = []
    for issue in issues:
        index = np.flatnonzero(issue.mask.to_numpy(dtype=bool))
        texts = cells[issue.column].to_numpy(dtype=object) if issue.column else None
        for i in index[:ERRORS_PER_KIND]:
            sheet, row = sheets[i], int(rows[i])
            params = issue.params(i) if callable(issue.params) else issue.params
            reason = "duplicate_key_sheet" if "first_sheet" in params else issue.reason
            column = written.get(sheet, {}).get(issue.column) if issue.column else None
            value = (texts[i] or None) if texts is not None else None
            error = CellError(row, column, value, reason, params, sheet=sheet if several_sheets else None)
            out.append(((sheet_order.get(sheet, 0), row, order.get(issue.column, -1)), error))
        if len(index) > ERRORS_PER_KIND:
            header = next(iter(written.values()), {}).get(issue.column) if issue.column else None
            out.append(((len(grids), 0, order.get(issue.column, -1)),
                        CellError(None, header, None, "more_errors",
                                  {"n": len(index) - ERRORS_PER_KIND})))
    out.sort(key=lambda pair: pair[0])
    return [error for _, error in out]

