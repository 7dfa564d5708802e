"""bytes → ParsedUpload: read, find the header, drop title/total/empty/duplicate rows, type and check.

    parse_upload(data, file_name, dataset, con, rules, *, sheet=None, all_sheets=False, scope=None) -> ParsedUpload

Whole-file problems (too large, empty, binary, unreadable, no header, required columns missing,
no data rows, unknown sheet) raise UploadRefused. Everything else is a CellError in
`ParsedUpload.errors` naming the row as the user sees it, the header as written in the file,
the value as typed and the reason; `table` keeps only the rows without any error.

Rows dropped on purpose, counted in `dropped`:
- title: non-empty rows above the header row; notes: a template's notes row right below it;
- empty: rows whose mapped cells are all empty or null words (—, 无, N/A, …);
- total: rows whose first three cells include one starting with 合计, 总计 or 小计;
- duplicate: a row whose mapped cells repeat an earlier row exactly. Two rows with the same
  natural key (Dataset.key) but different content are an error naming both rows.
How each kind of value is read is described in kpi/importing/values.py.

How a million rows stay fast: each column of the file becomes codes (one integer per row) into
its distinct stripped texts. Every test of one cell (empty, total, each converter and its
message, ranges, unit and indicator codes) runs once per distinct text and is spread over the
rows through the codes; tests across cells of a row (duplicate rows and keys, attended ≤
expected, date order) run on integer codes and typed arrays. The rows that pass are taken into
an Arrow table in the canonical types, which commit.py inserts from.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from kpi.datasets import Dataset, get_dataset
from kpi.importing.aliases import AliasesError, load_aliases
from kpi.importing.error_report import error_report_xlsx
from kpi.importing.errors import CellError, UploadRefused
from kpi.importing.headers import HEADER_SEARCH_ROWS, HeaderMatch, find_header, is_notes_row
from kpi.importing.model import ARROW_TYPES, DTYPES, ParsedUpload
from kpi.importing.read import Grid, read_file, refuse, sha256_later, sha256_of
from kpi.importing.scope import root_label, scope_columns, scope_issues, scoped_unit_issue
from kpi.importing.validate import (
    CROSS_COLUMNS,
    Issue,
    UnitDirectory,
    cross_issues,
    duplicate_keys,
    duplicated,
    group_ids,
    range_issues,
    resolve_indicators,
    resolve_units,
    store_units,
)
from kpi.importing.values import convert_distinct, null_mask

__all__ = ["error_report_xlsx", "parse_upload", "sha256_of"]

TOTAL_WORDS = r"^(?:合计|总计|小计)"
TOTAL_SEARCH_COLUMNS = 3
# In a workbook read sheet by sheet, a sheet whose best header row names fewer columns than this
# (a 说明 guide listing one header per row) is not a data sheet.
MIN_SHEET_COLUMNS = 2
# Beyond this many errors of one reason in one column, one summary line stands for the rest.
ERRORS_PER_KIND = 10_000
CODE_LIKE = ("unit_code", "parent_code", "problem_id", "activity_id", "indicator_code")


@dataclass
class Coded:
    """One column over the rows: row k holds texts[codes[k]]; `texts` are distinct."""

    codes: np.ndarray
    texts: pd.Series

    def compact(self) -> Coded:
        """Only the texts some row holds, in order of first appearance."""
        order = pd.unique(self.codes)
        if len(order) == len(self.texts) and (order == np.arange(len(order))).all():
            return self
        remap = np.zeros(len(self.texts), dtype=np.int64)
        remap[order] = np.arange(len(order))
        return Coded(remap[self.codes], self.texts.iloc[order].reset_index(drop=True))

    def take(self, rows: np.ndarray) -> Coded:
        return Coded(self.codes[rows], self.texts)


def _coded(codes: np.ndarray, texts: pd.Series) -> Coded:
    """`codes` into `texts` with equal texts merged."""
    ids, unique = pd.factorize(texts)
    if len(unique) == len(texts):
        return Coded(codes, texts.reset_index(drop=True))
    return Coded(ids[codes], pd.Series(unique, dtype="string"))


@dataclass
class Cells:
    """The data rows of every grid: dataset column → Coded stripped texts, plus the file row and
    the worksheet of each row."""

    columns: dict[str, Coded]
    rows: np.ndarray
    sheets: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> Coded:
        return self.columns[name]

    def text(self, name: str, row: int) -> str:
        col = self.columns[name]
        return col.texts.iat[int(col.codes[row])]

    def take(self, rows: np.ndarray) -> Cells:
        return Cells({n: c.take(rows) for n, c in self.columns.items()}, self.rows[rows], self.sheets[rows])


def _is_total(cells: pd.Series) -> pd.Series:
    return cells.str.replace(r"\s+", "", regex=True).str.contains(TOTAL_WORDS, regex=True)


def _spread(mask: pd.Series | np.ndarray, codes: np.ndarray) -> np.ndarray:
    return np.asarray(mask, dtype=bool)[codes]


def _part(grid: Grid, header: HeaderMatch, dropped: Counter) -> Cells:
    """The data rows of one grid under its header: stripped texts by dataset column, plus the file
    row and sheet of each; title, notes, empty and total rows removed and counted."""
    dropped["title"] += sum(any(c.strip() for c in row) for row in grid.head(header.index))
    start = header.index + 1
    if start < len(grid) and is_notes_row(grid.head(start + 1, start)[0]):
        dropped["notes"] += 1
        start += 1
    count = max(len(grid) - start, 0)
    first = list(range(min(TOTAL_SEARCH_COLUMNS, grid.width)))
    distinct = grid.distinct(sorted(set(header.columns) | set(first)), start)
    columns: dict[str, Coded] = {}
    for i, name in header.columns.items():
        codes, texts = distinct[i]
        columns[name] = _coded(codes, pd.Series(texts, dtype="string").str.strip())
    # Spread over the rows only what some distinct text has: most files have no empty or total row.
    nulls = {name: np.asarray(null_mask(col.texts), dtype=bool) for name, col in columns.items()}
    empty = np.zeros(count, dtype=bool) if columns and not all(n.any() for n in nulls.values()) \
        else np.ones(count, dtype=bool)
    if empty.any():
        for name, col in columns.items():
            empty &= nulls[name][col.codes]
    total = np.zeros(count, dtype=bool)
    for i in first:
        codes, texts = (columns[header.columns[i]].codes, columns[header.columns[i]].texts) if i in header.columns \
            else (distinct[i][0], pd.Series(distinct[i][1], dtype="string"))
        hit = np.asarray(_is_total(texts), dtype=bool)
        if hit.any():
            total |= hit[codes]
    total &= ~empty
    dropped["empty"] += int(empty.sum())
    dropped["total"] += int(total.sum())
    rows = grid.rows[start:]
    if (empty | total).any():
        keep = np.flatnonzero(~(empty | total))
        rows = rows[keep]
        columns = {n: c.take(keep) for n, c in columns.items()}
    return Cells(columns, rows, np.full(len(rows), grid.sheet, dtype=object))


def _combine(parts: list[Cells], names: list[str]) -> Cells:
    """The parts one after another; a column a part (sheet) lacks is empty there."""
    if len(parts) == 1:
        return parts[0]
    columns = {}
    for name in names:
        codes, texts, offset = [], [], 0
        for part in parts:
            col = part.columns.get(name) or Coded(np.zeros(len(part), dtype=np.int64), pd.Series([""], dtype="string"))
            codes.append(col.codes + offset)
            texts.append(col.texts)
            offset += len(col.texts)
        columns[name] = _coded(np.concatenate(codes), pd.concat(texts, ignore_index=True))
    return Cells(columns, np.concatenate([p.rows for p in parts]), np.concatenate([p.sheets for p in parts]))


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


def _parts(grids: list[Grid], spec: Dataset, dropped: Counter) -> tuple[list[Cells], dict]:
    """The data rows of every grid that holds data, and each such sheet's header (by sheet name)."""
    parts, headers = [], {}
    for grid in grids:
        if not len(grid) or not grid.width or not grid.has_text():
            continue
        header = find_header(grid.head(HEADER_SEARCH_ROWS), spec)
        if len(grids) > 1 and (header is None or len(header.columns) < MIN_SHEET_COLUMNS):
            continue  # a guide or summary sheet beside the monthly sheets of a workbook
        if header is None:
            raise _refuse_no_header(spec, grid.sheet)
        missing = _required_missing(spec, header)
        if missing:
            raise _refuse_missing(spec, missing, grid.sheet)
        parts.append(_part(grid, header, dropped))
        headers[grid.sheet] = header
    if not parts:
        raise _refuse_no_header(spec, None)
    return parts, headers


def parse_upload(data: bytes, file_name: str, dataset: str, con, rules, *, sheet: str | None = None,
                 all_sheets: bool = False, scope: str | None = None) -> ParsedUpload:
    """Read and validate an uploaded CSV/XLSX against `dataset` (see module docstring).

    `con` is a DuckDB cursor on the store (unit codes and names to resolve); `rules` gives
    max_file_mb, min_year, max_year. Raises UploadRefused for whole-file problems only.
    `scope`: the unit an uploading account is bound to (None: the whole store). Unit codes and
    names then resolve only within its subtree, and rows it may not write (kpi.importing.scope)
    are errors, so nothing about stored rows outside the subtree reaches the preview or the diff.
    """
    spec = get_dataset(dataset)
    digest = sha256_later(data)
    raw = read_file(data, file_name, rules.max_file_mb, sheet, all_sheets, limits=rules.workbook)
    dropped: Counter = Counter()
    parts, headers = _parts(raw.grids, spec, dropped)
    mapped = [c for c in spec.names if any(c in p for p in parts)]
    cells = _combine(parts, mapped)
    if not len(cells):
        raise refuse("no_data_rows")
    # A row repeating another repeats its key: without a repeated key text there is nothing to drop.
    keys_repeat = _repeats(cells, list(spec.key)) if all(k in cells for k in spec.key) else True
    if keys_repeat:
        dup = _repeats_each(cells, mapped)
        dropped["duplicate"] += int(dup.sum())
        if dup.any():
            cells = cells.take(np.flatnonzero(~dup))
    cells = Cells({n: c.compact() for n, c in cells.columns.items()}, cells.rows, cells.sheets)

    typed, issues = _typed(cells, spec, con, rules, keys_repeat, scope)
    errors = _errors(issues, cells, spec, raw.grids, headers, several_sheets=len(raw.sheets) > 1)
    bad_rows = np.zeros(len(cells), dtype=bool)
    for issue in issues:
        bad_rows |= issue.mask
    good = np.flatnonzero(~bad_rows)
    mapping: dict[str, str] = {}
    unmapped: list[str] = []
    for header in headers.values():
        for i, name in header.columns.items():
            mapping.setdefault(header.headers[i], name)
        unmapped += [u for u in header.unmapped if u not in unmapped]
    return ParsedUpload(
        dataset=dataset, file_name=file_name, sha256=digest.result(), table=_table(typed, cells, spec, good),
        file_rows=cells.rows[good], row_sheets=cells.sheets[good],
        mapping=mapping, unmapped=unmapped, encoding=raw.encoding, delimiter=raw.delimiter,
        sheets=raw.sheets, dropped={k: dropped.get(k, 0) for k in ("title", "notes", "total", "empty", "duplicate")},
        errors=errors)


def _table(typed: dict[str, pd.Series], cells: Cells, spec: Dataset, rows: np.ndarray) -> pa.Table:
    """The rows `rows` in the canonical types, columns `spec.names`. Text columns are dictionary
    arrays over their distinct values: a million rows of a few thousand texts are not copied."""
    arrays = {}
    every = len(rows) == len(cells)
    for col in spec.columns:
        kind = ARROW_TYPES[DTYPES[col.kind]]
        if col.name not in typed:
            arrays[col.name] = pa.nulls(len(rows), kind)
            continue
        codes = cells[col.name].codes if every else cells[col.name].codes[rows]
        if kind == pa.string():
            ids, unique = pd.factorize(typed[col.name])
            same = len(unique) == len(ids) and bool((ids == np.arange(len(ids))).all())
            indices = (codes if same else ids[codes]).astype(np.int32, copy=False)
            arrays[col.name] = pa.DictionaryArray.from_arrays(
                pa.array(indices, mask=None if same else indices < 0),
                pa.array(np.asarray(unique, dtype=object), pa.string()))
        else:
            arrays[col.name] = pa.array(typed[col.name], type=kind, from_pandas=True).take(pa.array(codes))
    return pa.table(arrays)


def _row_issue(issue: Issue, codes: np.ndarray) -> Issue:
    """An issue found on a column's distinct values, as an issue over the rows."""
    params = issue.params
    if callable(params):
        by_value = params

        def params(i: int) -> dict:
            return by_value(int(codes[i]))
    return Issue(_spread(issue.mask, codes), issue.column, issue.reason, params)


def _repeats_each(cells: Cells, names: list[str]) -> np.ndarray:
    """True for each row whose texts in `names` repeat an earlier row's."""
    return duplicated(*group_ids([cells[c].codes for c in names], [len(cells[c].texts) for c in names]))


def _repeats(cells: Cells, names: list[str]) -> bool:
    """True when some row's texts in `names` repeat an earlier row's."""
    return bool(_repeats_each(cells, names).any())


def _typed(cells: Cells, spec: Dataset, con, rules, keys_repeat: bool = True,
           scope: str | None = None) -> tuple[dict[str, pd.Series], list[Issue]]:
    """Each present column's distinct values in canonical dtypes, and every issue over the rows."""
    typed: dict[str, pd.Series] = {}
    issues: list[Issue] = []
    try:  # the office's other spellings of enumerated values (data/aliases.toml)
        aliases = load_aliases()
    except AliasesError as exc:  # a bad table must not let values through unchecked, nor crash the page
        raise UploadRefused([CellError(None, None, None, "aliases_unusable", {"key": exc.setting})]) from None
    for col in spec.columns:
        if col.name not in cells:
            continue
        coded = cells[col.name]
        kind = "code" if col.name in CODE_LIKE and col.kind == "text" else col.kind
        conv = convert_distinct(coded.texts, kind, col.choices, aliases.get(col.name))
        typed[col.name] = conv.values.astype(DTYPES[col.kind])
        if conv.bad.any():
            issues.append(_row_issue(Issue(conv.bad, col.name, conv.reason, conv.params), coded.codes))
        if col.required:
            empty = typed[col.name].isna() & ~conv.bad
            if empty.any():
                issues.append(_row_issue(Issue(empty, col.name, "required"), coded.codes))
    issues += _unit_issues(typed, cells, spec, con, scope)
    if "indicator_code" in typed:
        typed["indicator_code"], found = resolve_indicators(typed["indicator_code"], rules.indicators)
        issues += [_row_issue(i, cells["indicator_code"].codes) for i in found]
    for name, values in typed.items():
        found = range_issues(pd.DataFrame({name: values}), spec, rules.min_year, rules.max_year)
        issues += [_row_issue(i, cells[name].codes) for i in found]
    issues += [Issue(np.asarray(i.mask, dtype=bool), i.column, i.reason, i.params)
               for i in cross_issues(_row_frame(typed, cells, spec), spec)]
    issues += _duplicate_issues(typed, cells, spec, keys_repeat)
    if scope is not None:
        rows = _row_frame(typed, cells, spec, scope_columns(spec))
        issues += scope_issues(con, spec, scope, rows, _failed(issues, len(cells)))
    return typed, issues


def _failed(issues: list[Issue], count: int) -> dict[str, np.ndarray]:
    """Per column, the rows whose cell in it already has an error."""
    out: dict[str, np.ndarray] = {}
    for issue in issues:
        if issue.column is not None:
            out[issue.column] = out.get(issue.column, np.zeros(count, dtype=bool)) | np.asarray(issue.mask, dtype=bool)
    return out


def _row_frame(typed: dict[str, pd.Series], cells: Cells, spec: Dataset,
               names: tuple[str, ...] | list[str] = CROSS_COLUMNS) -> pd.DataFrame:
    """The typed values of the columns `names` (by default those `cross_issues` compares), over
    the rows (a column the file lacks is empty; text columns as categoricals of their distinct values)."""
    out = {}
    for col in spec.columns:
        if col.name not in names:
            continue
        dtype = DTYPES[col.kind]
        if col.name not in typed:
            out[col.name] = pd.Series(pd.NA if dtype != "datetime64[s]" else pd.NaT, index=range(len(cells)),
                                      dtype=dtype)
        elif dtype == "string":
            ids, unique = pd.factorize(typed[col.name])
            out[col.name] = pd.Series(pd.Categorical.from_codes(ids[cells[col.name].codes], categories=unique))
        else:
            out[col.name] = typed[col.name].take(cells[col.name].codes).reset_index(drop=True)
    return pd.DataFrame(out, index=range(len(cells)))


def _own_units(typed: dict[str, pd.Series], cells: Cells) -> list[tuple[str, str | None]]:
    """(unit_code, unit_name) of the rows of a units file, as UnitDirectory.from_pairs should see
    them: each distinct pair in order of first appearance (names list codes in that order), then
    in order of last appearance (a code's name is that of its last row)."""
    if "unit_code" not in typed:
        return []
    code_ids, codes = pd.factorize(typed["unit_code"])
    row_code = code_ids[cells["unit_code"].codes]
    if "unit_name" in typed:
        name_ids, names = pd.factorize(typed["unit_name"])
        row_name = name_ids[cells["unit_name"].codes] + 1
    else:
        names, row_name = [], np.zeros(len(cells), dtype=np.int64)
    present = row_code >= 0
    span = len(names) + 1
    pair = row_code[present] * span + row_name[present]
    order = np.concatenate([pd.unique(pair), pd.unique(pair[::-1])[::-1]])
    return [(codes[p // span], names[p % span - 1] if p % span else None) for p in order.tolist()]


def _unit_issues(typed: dict[str, pd.Series], cells: Cells, spec: Dataset, con,
                 scope: str | None = None) -> list[Issue]:
    """Unit codes (or names) of the code columns resolved against the store — only the subtree of
    `scope` when given, its unknown units worded for the scope — plus, for the units dataset, the
    file's own units."""
    pairs = store_units(con, scope)
    if spec.name == "units":
        pairs = pairs + _own_units(typed, cells)
        targets = ["parent_code"]
    else:
        targets = [c.name for c in spec.columns if c.kind == "code"]
    directory = UnitDirectory.from_pairs(pairs)
    issues = []
    for name in targets:
        if name not in typed:
            continue
        resolved, found = resolve_units(typed[name], directory)
        typed[name] = resolved
        for issue in found:
            issue.column = name
            if scope is not None and issue.reason in ("unknown_unit", "unknown_unit_suggest"):
                issue = scoped_unit_issue(issue, root_label(con, scope))
            issues.append(_row_issue(issue, cells[name].codes))
    return issues


def _duplicate_issues(typed: dict[str, pd.Series], cells: Cells, spec: Dataset, keys_repeat: bool) -> list[Issue]:
    """Rows whose typed key repeats an earlier row's. When no key text repeats and each key
    column reads distinct texts as distinct values, no typed key can repeat either."""
    if not all(k in typed for k in spec.key):
        return []
    if not keys_repeat and all(typed[k].dropna().is_unique for k in spec.key):
        return []
    ids = [pd.factorize(typed[k])[0][cells[k].codes] for k in spec.key]
    mask, first = duplicate_keys(ids)
    if not mask.any():
        return []
    rows, sheets = cells.rows, cells.sheets

    def params(i: int) -> dict:
        j = int(first[i])
        out = {"first_row": int(rows[j]), "key": "、".join(cells.text(k, i) for k in spec.key)}
        if sheets[j] != sheets[i]:
            out["first_sheet"] = sheets[j]
        return out

    column = spec.key[0] if len(spec.key) == 1 else None
    return [Issue(mask, column, "duplicate_key", params)]


def _errors(issues: list[Issue], cells: Cells, spec: Dataset, grids: list[Grid],
            headers: dict[str | None, HeaderMatch], several_sheets: bool) -> list[CellError]:
    """CellErrors of every issue, in file order, at most ERRORS_PER_KIND per column and reason."""
    written = {}
    for sheet, header in headers.items():
        written[sheet] = {name: header.headers[i] for i, name in header.columns.items()}
    order = {name: i for i, name in enumerate(spec.names)}
    sheet_order = {g.sheet: i for i, g in enumerate(grids)}
    rows, sheets = cells.rows, cells.sheets
    out: list[tuple] = []
    for issue in issues:
        index = np.flatnonzero(issue.mask)
        for i in index[:ERRORS_PER_KIND]:
            sheet, row = sheets[i], int(rows[i])
            params = issue.params(i) if callable(issue.params) else issue.params
            reason = "duplicate_key_sheet" if "first_sheet" in params else issue.reason
            column = written.get(sheet, {}).get(issue.column) if issue.column else None
            # A scope issue may concern a column the file lacks (a units file without parents).
            value = (cells.text(issue.column, i) or None) if issue.column in cells else None
            error = CellError(row, column, value, reason, params, sheet=sheet if several_sheets else None)
            out.append(((sheet_order.get(sheet, 0), row, order.get(issue.column, -1)), error))
        if len(index) > ERRORS_PER_KIND:
            header = next(iter(written.values()), {}).get(issue.column) if issue.column else None
            out.append(((len(grids), 0, order.get(issue.column, -1)),
                        CellError(None, header, None, "more_errors",
                                  {"n": len(index) - ERRORS_PER_KIND})))
    out.sort(key=lambda pair: pair[0])
    return [error for _, error in out]
