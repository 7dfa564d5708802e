"""Checks on typed columns, as boolean masks over the whole frame (no loop over rows).

Each check returns `Issue`s: a mask of offending rows, the dataset column the error is shown
against, a reason key of messages/import.toml and its params (a dict, or a function of the row
index for params that differ per row). parse.py turns the masked rows into CellErrors.

Checks of one value (ranges, unit codes, indicator codes) run on a column's distinct values;
parse.py spreads their masks over the rows. Checks between columns of a row (`cross_issues`)
and duplicate keys run over the rows, on typed arrays.
"""
from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kpi.datasets import CLOSED_STATUS, Dataset
from kpi.store.sql import IN_SUBTREE

MAX_SUGGESTIONS = 50
# The columns `cross_issues` compares within one row.
CROSS_COLUMNS = ("attended", "expected", "due_date", "found_date", "completed_date", "closed_date", "status",
                 "end_date", "start_date")


@dataclass
class Issue:
    """Rows (a boolean mask) with one problem: shown against `column` with message key `reason`."""

    mask: pd.Series | np.ndarray
    column: str | None
    reason: str
    params: dict | Callable[[int], dict] = field(default_factory=dict)


def _fmt(value: float) -> str:
    return f"{value:g}"


def range_issues(frame: pd.DataFrame, dataset: Dataset, min_year: int, max_year: int) -> list[Issue]:
    """Values outside what their kind allows (see kpi.datasets.Column)."""
    out: list[Issue] = []
    for col in dataset.columns:
        if col.name not in frame:
            continue
        values = frame[col.name]
        if col.kind in ("pct", "score"):
            low, high = 0.0, 100.0
            out.append(Issue(((values < low) | (values > high)).fillna(False), col.name, f"{col.kind}_range"))
        elif col.kind == "money":
            out.append(Issue((values < 0).fillna(False), col.name, "money_negative"))
        elif col.kind in ("int", "number") and (col.min_value is not None or col.max_value is not None):
            low = col.min_value if col.min_value is not None else float("-inf")
            high = col.max_value if col.max_value is not None else float("inf")
            outside = ((values < low) | (values > high)).fillna(False)
            if col.max_value is None:
                out.append(Issue(outside, col.name, "below_min", {"min": _fmt(low)}))
            else:
                out.append(Issue(outside, col.name, "out_of_range", {"min": _fmt(low), "max": _fmt(high)}))
        elif col.kind == "year":
            out.append(Issue(((values < min_year) | (values > max_year)).fillna(False), col.name, "year_range",
                             {"min": min_year, "max": max_year}))
        elif col.kind == "date":
            years = values.dt.year
            out.append(Issue(((years < min_year) | (years > max_year)).fillna(False), col.name, "date_year_range",
                             {"min": min_year, "max": max_year}))
        elif col.kind == "period":
            years = pd.to_numeric(values.str.slice(0, 4), errors="coerce")
            out.append(Issue(((years < min_year) | (years > max_year)).fillna(False), col.name, "date_year_range",
                             {"min": min_year, "max": max_year}))
    return [i for i in out if i.mask.any()]


def _before(frame: pd.DataFrame, late: str, early: str) -> pd.Series:
    """Rows where date `late` is earlier than date `early` (both present)."""
    return (frame[late] < frame[early]).fillna(False)


def cross_issues(frame: pd.DataFrame, dataset: Dataset) -> list[Issue]:
    """Rules between columns of one row: attended ≤ expected, deadlines after findings, …"""
    has = set(frame.columns)
    out: list[Issue] = []

    def date_pair(late: str, early: str, reason: str) -> None:
        if {late, early} <= has:
            mask = _before(frame, late, early)
            out.append(Issue(mask, late, reason, lambda i: {
                "other": frame.at[i, early].strftime("%Y-%m-%d")}))

    if dataset.name == "meetings" and {"attended", "expected"} <= has:
        mask = (frame["attended"] > frame["expected"]).fillna(False)
        out.append(Issue(mask, "attended", "attended_gt_expected",
                         lambda i: {"expected": int(frame.at[i, "expected"])}))
    if dataset.name == "problems":
        date_pair("due_date", "found_date", "due_before_found")
        date_pair("completed_date", "found_date", "completed_before_found")
        date_pair("closed_date", "found_date", "closed_before_found")
        date_pair("closed_date", "completed_date", "closed_before_completed")
        if "status" in has:
            closed = (frame["status"] == CLOSED_STATUS).fillna(False)
            no_date = frame["closed_date"].isna() if "closed_date" in has else pd.Series(True, index=frame.index)
            out.append(Issue(closed & no_date, "status", "closed_without_date"))
    if dataset.name == "supervision":
        date_pair("end_date", "start_date", "end_before_start")
    return [i for i in out if i.mask.any()]


def name_key(name: str) -> str:
    """A unit name as compared: NFKC, no whitespace ('机关 第一党支部' is '机关第一党支部')."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


@dataclass
class UnitDirectory:
    """Unit codes and names a file may refer to (store, plus the file itself for the units dataset)."""

    codes: dict[str, str]
    names: dict[str, list[str]]

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, str]]) -> UnitDirectory:
        codes: dict[str, str] = {}
        names: dict[str, dict[str, None]] = {}
        for code, name in pairs:
            if not isinstance(code, str):
                continue
            name = name if isinstance(name, str) else ""
            codes[code] = name
            if name:
                names.setdefault(name_key(name), {})[code] = None
        return cls(codes, {name: list(found) for name, found in names.items()})

    def suggestion(self, value: str) -> tuple[str, str] | None:
        """(code, name) of the closest unit code or name, None when nothing is close."""
        candidates = sorted(self.codes) + sorted(self.names)
        hits = difflib.get_close_matches(value, candidates, n=5, cutoff=0.6)
        if not hits:
            return None
        # Among equally close candidates, the one sharing the longest prefix reads as the typo's origin.
        best = max(hits, key=lambda h: (round(difflib.SequenceMatcher(None, value, h).ratio(), 6),
                                        len(os.path.commonprefix([value, h])), -candidates.index(h)))
        code = best if best in self.codes else self.names[best][0]
        return code, self.codes.get(code) or code


def store_units(con, root: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of the stored units a file may name: every unit, or only the subtree of `root`
    (an upload by an account bound to `root` resolves nothing outside its scope)."""
    if root is None:
        return [(c, n) for c, n in con.execute("SELECT unit_code, unit_name FROM units").fetchall()]
    return [(c, n) for c, n in con.execute("SELECT unit_code, unit_name FROM units WHERE " + IN_SUBTREE,
                                           {"root": root}).fetchall()]


def resolve_units(values: pd.Series, directory: UnitDirectory) -> tuple[pd.Series, list[Issue]]:
    """Unit codes for a code column: a known code (exact, else case-insensitive), or a unit name
    that names exactly one unit. Unknown and ambiguous values are Issues."""
    upper = {}
    for code in directory.codes:
        upper.setdefault(code.upper(), []).append(code)
    resolved: dict[str, str] = {}
    unknown: dict[str, tuple[str, str] | None] = {}
    ambiguous: dict[str, str] = {}
    for value in values.dropna().unique():
        value = str(value)
        if value in directory.codes:
            resolved[value] = value
        elif len(upper.get(value.upper(), [])) == 1:
            resolved[value] = upper[value.upper()][0]
        elif len(directory.names.get(name_key(value), [])) == 1:
            resolved[value] = directory.names[name_key(value)][0]
        elif len(directory.names.get(name_key(value), [])) > 1:
            ambiguous[value] = "、".join(directory.names[name_key(value)])
        else:
            # difflib over every unit is quadratic: a garbage file with thousands of unknown codes
            # gets suggestions for the first ones only.
            unknown[value] = directory.suggestion(value) if len(unknown) < MAX_SUGGESTIONS else None
    out = values.map(resolved).astype("string")
    issues = []
    suggest = {v: s for v, s in unknown.items() if s}
    if suggest:
        mask = values.isin(list(suggest)).fillna(False)
        issues.append(Issue(mask, None, "unknown_unit_suggest",
                            lambda i: {"value": values.at[i], "code": suggest[values.at[i]][0],
                                       "name": suggest[values.at[i]][1]}))
    plain = [v for v, s in unknown.items() if not s]
    if plain:
        issues.append(Issue(values.isin(plain).fillna(False), None, "unknown_unit",
                            lambda i: {"value": values.at[i]}))
    if ambiguous:
        issues.append(Issue(values.isin(list(ambiguous)).fillna(False), None, "ambiguous_unit_name",
                            lambda i: {"value": values.at[i], "codes": ambiguous[values.at[i]]}))
    return out, issues


def group_ids(columns: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, int]:
    """(one integer per row, their bound): equal for two rows exactly when each column's code
    (0 ≤ code < size) is equal — the codes combined positionally, renumbered before the product
    could overflow. Every id lies in 0 ≤ id < bound."""
    gid = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    span = 1
    for codes, size in zip(columns, sizes):
        size = max(int(size), 1)
        if span * size >= 1 << 62:
            gid, uniques = pd.factorize(gid)
            span = max(len(uniques), 1)
        gid = gid * size + codes
        span *= size
    return gid, span


def duplicated(gid: np.ndarray, bound: int | None = None) -> np.ndarray:
    """True for every row whose id an earlier row already has. With ids below a small `bound`, a
    count per id first tells cheaply whether any id repeats at all."""
    if bound is not None and bound <= 8 * len(gid) + 1024:
        if not len(gid) or np.bincount(gid, minlength=bound).max() <= 1:
            return np.zeros(len(gid), dtype=bool)
    return pd.Series(gid).duplicated(keep="first").to_numpy()


def duplicate_keys(ids: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(mask of rows repeating an earlier row's key, that earlier row's index, -1 elsewhere) over
    rows whose key cells are all present. `ids` holds, per key column, an id per row equal for
    equal values and -1 for a missing one."""
    count = len(ids[0])
    complete = np.logical_and.reduce([i >= 0 for i in ids]) if ids else np.zeros(count, dtype=bool)
    rows = np.flatnonzero(complete)
    gid, bound = group_ids([i[rows] for i in ids], [int(i.max()) + 1 if len(i) else 1 for i in ids])
    dup = duplicated(gid, bound)
    mask = np.zeros(count, dtype=bool)
    first = np.full(count, -1, dtype=np.int64)
    if dup.any():
        mask[rows[dup]] = True
        firsts = pd.Series(rows[~dup], index=gid[~dup])
        first[rows[dup]] = firsts.loc[gid[dup]].to_numpy()
    return mask, first


def resolve_indicators(values: pd.Series, indicators) -> tuple[pd.Series, list[Issue]]:
    """Indicator codes of the catalogue (rules.indicators): the code, or its Chinese or English name."""
    lookup = {}
    for ind in indicators:
        lookup.update({ind.code.lower(): ind.code, ind.name_zh: ind.code, ind.name_en.lower(): ind.code})
    resolved = values.str.lower().map(lookup).fillna(values.map(lookup)).astype("string")
    unknown = values.notna() & resolved.isna()
    listed = "、".join(f"{i.code}（{i.name_zh}）" for i in indicators)
    issues = [Issue(unknown, "indicator_code", "unknown_indicator", {"choices": listed})] if unknown.any() else []
    return resolved.where(~unknown, values), issues
