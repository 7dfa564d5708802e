"""Download formats: CSV that Excel opens correctly, XLSX — with formula injection neutralised."""
from __future__ import annotations

import io

import pandas as pd

# A cell starting with one of these is run as a formula by Excel/WPS (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralised(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` where text cells starting with = + - @ (or tab/CR) get a leading apostrophe.

    Numbers stay numbers: only text cells are touched, so a negative number is not altered.
    """
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            text = series.astype("string")
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False)
            if risky.any():
                out[col] = series.where(~risky, "'" + text)
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV encoded UTF-8 with BOM (so Excel reads Chinese right), formula cells neutralised."""
    return neutralised(df).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """One-sheet XLSX of `df`, formula cells neutralised and written as text."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        neutralised(df).to_excel(writer, index=False, sheet_name=sheet_name[:31])
    return buf.getvalue()
