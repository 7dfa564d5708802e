"""The unit × rule matrix as text: one short string per cell, in the UI language.

Precision is what a reader needs: ratios of payroll and staff with 2 decimals (0.86%), weights,
completion and compliance with 1 (93.6%), counts as integers.
"""
from __future__ import annotations

import pandas as pd

from kpi.i18n import t
from kpi.metrics.matrix import MATRIX_RULES, NOT_REPORTED, RuleMatrix

# Decimals shown per column of percentages.
_PCT_DECIMALS = {"funds": 2, "weight": 1, "party_staff": 2, "meetings": 1, "standardisation": 1}


def _missing(value) -> bool:
    return value is None or pd.isna(value)


def cell_text(cell: dict, lang: str = "zh") -> str:
    """The text of one matrix cell (a dict of `RuleMatrix.cell`)."""
    rule, value = cell["rule"], cell["value"]
    if cell.get("note") == NOT_REPORTED:
        return t("matrix.cell.not_reported", lang)
    if _missing(value):
        # a unit whose level the visit rule does not check ([supervision] levels), or that owes no annual
        # row ([annual] levels), is not applicable
        return t("matrix.cell.not_applicable" if rule in ("supervision", "unreported") else "matrix.cell.missing", lang)
    if rule in _PCT_DECIMALS:
        return t("matrix.cell.pct", lang, value=f"{value:.{_PCT_DECIMALS[rule]}f}")
    if rule == "overdue":
        return t("matrix.cell.overdue", lang, n=int(value)) if value else t("matrix.cell.no_overdue", lang)
    if rule == "supervision":
        return t("matrix.cell.covered" if cell["numerator"] == cell["denominator"] else "matrix.cell.uncovered", lang)
    if rule == "inspection":
        return t("matrix.cell.share", lang, numerator=int(cell["numerator"]), denominator=int(cell["denominator"]))
    if rule == "unreported":
        if value == 0:
            return t("matrix.cell.reported", lang)
        if value == cell["denominator"]:
            return t("matrix.cell.unreported_all", lang)
        return t("matrix.cell.unreported_some", lang, n=int(value))
    raise ValueError(f"unknown matrix rule {rule!r}")


def column_labels(lang: str = "zh") -> list[str]:
    """The header row: 单位, then one short name per rule."""
    return [t("matrix.unit", lang)] + [t(f"matrix.rule.{rule}", lang) for rule in MATRIX_RULES]


def matrix_rows(matrix: RuleMatrix, lang: str = "zh") -> list[tuple[str, list[tuple[str, str]]]]:
    """Per unit, worst first: (unit name, [(cell text, status) per rule in MATRIX_RULES order])."""
    cells = {(c["unit_code"], c["rule"]): c for c in matrix.cells.to_dict("records")}
    return [(unit.unit_name, [(cell_text(cells[(unit.unit_code, rule)], lang), cells[(unit.unit_code, rule)]["status"])
                              for rule in MATRIX_RULES])
            for unit in matrix.units.itertuples()]


def matrix_frames(matrix: RuleMatrix, lang: str = "zh") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The matrix as two frames of the same shape, for a table on screen: the texts (header
    `column_labels`, the unit name first, then one cell text per rule) and each cell's status
    (None under the unit name). Rows worst first, as in `matrix_rows`."""
    rows = matrix_rows(matrix, lang)
    labels = column_labels(lang)
    texts = pd.DataFrame([[name] + [text for text, _ in cells] for name, cells in rows], columns=labels, dtype=object)
    statuses = pd.DataFrame([[None] + [status for _, status in cells] for _, cells in rows], columns=labels,
                            dtype=object)
    return texts, statuses
