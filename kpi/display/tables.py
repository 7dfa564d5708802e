"""Data tables as shown on screen: column names and stored enumerations in the UI language."""
from __future__ import annotations

import pandas as pd

from kpi.i18n import enum_label, has, t

# Columns holding stored enumerations (Chinese in the store): shown through kpi.i18n.enum_label.
ENUM_COLUMNS = ("meeting_type", "source", "category", "severity", "status", "kind", "org_type", "secretary_rating",
                "measure_unit")
# Columns holding the rules' own identifiers, worded by the messages under a prefix:
# meeting frequencies ('quarter' → 每季度) and the six basics of standardisation ('basic_org' → 基本组织).
WORDED_COLUMNS = {"every": "meetings.every.", "basic": "ratings.basic."}


def _value_labels(column: str, values: pd.Series, lang: str) -> pd.Series:
    """`values` of `column` as a reader sees them: enumerations labelled, rule identifiers worded;
    anything else unchanged."""
    if column in ENUM_COLUMNS:
        return values.map(lambda v: enum_label(v, lang) if isinstance(v, str) else v)
    prefix = WORDED_COLUMNS[column]
    return values.map(lambda v: t(f"{prefix}{v}", lang) if isinstance(v, str) and has(f"{prefix}{v}") else v)


def labelled(df: pd.DataFrame, area: str, lang: str) -> pd.DataFrame:
    """`df` with each column renamed to the message `<area>.col.<column>` when there is one and its
    enumerations in `lang` (unit codes stay in the table, so any row leads to its unit)."""
    out = df.copy()
    for column in out.columns:
        if column in ENUM_COLUMNS or column in WORDED_COLUMNS:
            out[column] = _value_labels(column, out[column], lang)
    return out.rename(columns={c: t(f"{area}.col.{c}", lang) for c in df.columns if has(f"{area}.col.{c}")})
