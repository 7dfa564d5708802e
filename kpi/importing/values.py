"""Cell text → typed values, one whole column at a time (no Python loop over rows).

The parser hands each converter a column's distinct cell texts (a million rows of a meetings
file hold a few thousand distinct dates, codes and numbers). Every converter takes the cell texts
and returns a `Converted`: the typed values in the canonical dtype of model.py (NA where the cell
is empty or unreadable) and a mask of cells that hold text but could not be read. How values
are read:

- empty: "", —, –, -, ——, 无, 空, N/A, NA, null, none, / (after NFKC) are missing values.
- numbers: NFKC first (full-width digits), thousands separators "1,234.5", a leading ¥/$/RMB,
  a trailing %, 元, 万 or 万元. In a 万元 (money) column "3万"/"3万元" is 3 (already 万元) and
  "30000元" is 3; in any other numeric column "3万" is 30000. "12.5%" is 12.5 percent points.
- percent columns (kind pct): Excel stores a cell typed "10%" as 0.1, so when no cell of the column
  is written with "%", every value lies in 0..1 and one is below 1, the column is read as
  fractions and multiplied by 100. A cell written "10%" is always 10.
- dates: 2025-03-05, 2025/3/5, 2025.3.5, 2025年3月5日, 20250305, with or without a time, and Excel
  serial numbers (days since 1899-12-30, so 45721 is 2025-03-05).
- periods (YYYY-MM): 2025-03, 2025/3, 2025.3, 2025年3月, 202503, or any date (its month).
- years: 2025, 2025年, 2025年度.
- booleans: 是/否, 达标/不达标, true/false, 1/0, Y/N, yes/no, √/×.
- enumerations: the stored Chinese value, another spelling of it listed in the import alias table
  (data/aliases.toml, kpi.importing.aliases: 支委会 → 支部委员会会议), or its English label
  (kpi/messages/enums.toml); the stored value is always the canonical one.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kpi.i18n import catalogue

NULL_WORDS = ("", "—", "–", "-", "——", "--", "---", "－", "无", "空", "n/a", "na", "null", "none", "nan",
              "/", "#n/a")
TRUE_WORDS = ("是", "达标", "true", "1", "y", "yes", "√", "✓", "合格")
FALSE_WORDS = ("否", "不达标", "false", "0", "n", "no", "×", "✗", "x", "不合格")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m-%d %H:%M:%S",
                "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S")
EXCEL_ORIGIN = "1899-12-30"
# Excel serials from 1 (1900-01-01) up to 9999-12-31; anything longer is a yyyymmdd or an error.
_SERIAL = r"^\d{1,7}(?:\.\d+)?$"
_MONEY_KINDS = ("money",)


@dataclass
class Converted:
    """Typed values plus the cells that could not be read (`bad`) and why (`reason`, `params`)."""

    values: pd.Series
    bad: pd.Series
    reason: str = ""
    params: dict = field(default_factory=dict)


def nfkc(cells: pd.Series) -> pd.Series:
    return cells.str.normalize("NFKC").str.strip()


def null_mask(cells: pd.Series) -> pd.Series:
    """True where a cell means 'no value'."""
    return nfkc(cells).str.lower().isin(NULL_WORDS)


def _numbers(norm: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """(values as float, written-with-% mask) of normalised cell texts; NaN where unreadable."""
    compact = norm.str.replace(r"\s+", "", regex=True)
    percent = compact.str.endswith("%")
    wan = compact.str.contains(r"\d万(?:元)?$", regex=True)
    yuan = compact.str.endswith("元") & ~wan
    core = (compact.str.replace(r"(?<=\d),(?=\d{3}(?:\D|$))", "", regex=True)
            .str.replace(r"^(?:rmb|RMB|¥|\$)", "", regex=True)
            .str.replace(r"(?:%|万元|万|元)$", "", regex=True))
    core = core.where(core.str.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"), "")
    values = pd.to_numeric(core.replace("", np.nan), errors="coerce").astype("float64")
    if kind in _MONEY_KINDS:
        values = values.where(~yuan, values / 10000)
    else:
        values = values.where(~wan, values * 10000)
    return values, percent.fillna(False).astype(bool)


def to_number(cells: pd.Series, null: pd.Series, kind: str) -> Converted:
    """Numbers for kinds number, money, pct, score (Float64) and int (Int64)."""
    values, percent = _numbers(nfkc(cells), kind)
    values = values.where(~null)
    if kind == "pct":
        values = _fractions_as_percent(values, percent)
    bad = values.isna() & ~null
    if kind == "int":
        # Beyond 2⁵³ a float no longer holds a whole number exactly (and 1E100 overflows Int64).
        fractional = values.notna() & ((values % 1 != 0) | (values.abs() >= 2 ** 53))
        if fractional.any():
            values = values.where(~fractional)
            bad = bad | fractional
            return Converted(values.round().astype("Int64"), bad, "not_integer")
        return Converted(values.astype("Int64"), bad, "not_integer")
    return Converted(values.astype("Float64"), bad, "not_number")


def _fractions_as_percent(values: pd.Series, percent: pd.Series) -> pd.Series:
    present = values.dropna()
    if present.empty or percent.any():
        return values
    if ((present >= 0) & (present <= 1)).all() and (present < 1).any():
        return values * 100
    return values


def to_year(cells: pd.Series, null: pd.Series) -> Converted:
    norm = nfkc(cells).str.replace(r"\s+", "", regex=True).str.replace(r"年度?$", "", regex=True)
    norm = norm.where(norm.str.fullmatch(r"\d{4}(?:\.0+)?"), "")
    values = pd.to_numeric(norm.replace("", np.nan), errors="coerce").where(~null)
    return Converted(values.astype("Int64"), values.isna() & ~null, "not_year")


def _dates(norm: pd.Series, serials: bool) -> pd.Series:
    """datetime64[s] of normalised cell texts, trying each format on what is still unread."""
    out = pd.Series(pd.NaT, index=norm.index, dtype="datetime64[s]")
    todo = norm.notna() & (norm != "")
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(norm[todo], format=fmt, errors="coerce")
        hit = parsed.notna()
        if hit.any():
            out.loc[hit[hit].index] = parsed[hit].dt.floor("D").astype("datetime64[s]")
            todo = todo & out.isna()
    if serials and todo.any():
        serial = norm[todo]
        serial = pd.to_numeric(serial.where(serial.str.fullmatch(_SERIAL)), errors="coerce")
        serial = serial[(serial >= 1) & (serial < 2958466)]
        if len(serial):
            days = pd.to_datetime(serial.astype("float64").floordiv(1), unit="D", origin=EXCEL_ORIGIN)
            out.loc[days.index] = days.astype("datetime64[s]")
    return out


def _date_text(cells: pd.Series) -> pd.Series:
    """NFKC text with 号 read as 日 and no spaces around 年/月/日 or date separators."""
    return (nfkc(cells).str.replace("号", "日", regex=False)
            .str.replace(r"\s*([年月日/.-])\s*", r"\1", regex=True).str.replace(r"\s+", " ", regex=True))


def to_date(cells: pd.Series, null: pd.Series) -> Converted:
    values = _dates(_date_text(cells).where(~null, ""), serials=True)
    return Converted(values, values.isna() & ~null, "not_date")


def to_period(cells: pd.Series, null: pd.Series) -> Converted:
    """'YYYY-MM' strings; a month outside 1..12 is unreadable."""
    norm = _date_text(cells).where(~null, "").str.replace(" ", "", regex=False)
    parts = norm.str.extract(r"^(\d{4})(?:[-/.年](\d{1,2})月?|(\d{2}))$")
    month = parts[1].fillna(parts[2])
    year = pd.to_numeric(parts[0], errors="coerce")
    month = pd.to_numeric(month, errors="coerce")
    ok = year.notna() & month.between(1, 12)
    text = (year.astype("Int64").astype("string").str.zfill(4) + "-"
            + month.astype("Int64").astype("string").str.zfill(2)).where(ok)
    rest = ~ok & (norm != "")
    if rest.any():
        dates = _dates(norm.where(rest, ""), serials=False)
        text = text.where(dates.isna(), dates.dt.strftime("%Y-%m"))
    text = text.astype("string")
    return Converted(text, text.isna() & ~null, "not_period")


def to_bool(cells: pd.Series, null: pd.Series) -> Converted:
    norm = nfkc(cells).str.lower().str.replace(r"\s+", "", regex=True)
    values = pd.Series(pd.NA, index=cells.index, dtype="boolean")
    values[norm.isin(TRUE_WORDS)] = True
    values[norm.isin(FALSE_WORDS)] = False
    values = values.where(~null)
    return Converted(values, values.isna() & ~null, "not_bool")


def _english_labels() -> dict[str, str]:
    """lower-cased English enumeration label → stored Chinese value."""
    return {texts["en"].lower(): key.removeprefix("enums.")
            for key, texts in catalogue().items() if key.startswith("enums.") and "en" in texts}


def to_enum(cells: pd.Series, null: pd.Series, choices: tuple[str, ...],
            aliases: Mapping[str, str] | None = None) -> Converted:
    """The allowed value of each cell: itself, the canonical value of a listed alias (keys
    normalised as here: NFKC, no whitespace), or the value of its English label."""
    norm = nfkc(cells).str.replace(r"\s+", "", regex=True)
    if aliases:
        norm = norm.map(lambda text: aliases.get(text, text)).astype(norm.dtype)
    known = norm.isin(choices)
    if (known | null).all():  # nothing to look up among the English labels
        values = norm.where(known).where(~null).astype("string")
    else:
        labels = {k.replace(" ", ""): v for k, v in _english_labels().items() if v in choices}
        english = norm.str.lower().map(labels)
        values = norm.where(known, english).where(~null).astype("string")
    return Converted(values, values.isna() & ~null, "not_choice", {"choices": "、".join(choices)})


def to_text(cells: pd.Series, null: pd.Series, fold_width: bool = False) -> Converted:
    """Text as typed (stripped); codes are NFKC-folded so full-width 'Ｓ０１' is 'S01'."""
    values = (nfkc(cells) if fold_width else cells.str.strip()).where(~null).astype("string")
    return Converted(values, pd.Series(False, index=cells.index), "")


def convert_distinct(cells: pd.Series, kind: str, choices: tuple[str, ...] = (),
                     aliases: Mapping[str, str] | None = None) -> Converted:
    """The typed values of `kind` (see kpi.datasets.Column) of a column's distinct cell texts
    (stripped): the parser converts each distinct text once, however many rows hold it.
    `aliases` (an enumeration's other spellings → canonical value) applies to enumerations."""
    null = null_mask(cells)
    if kind in ("int", "number", "money", "pct", "score"):
        return to_number(cells, null, kind)
    if kind == "year":
        return to_year(cells, null)
    if kind == "date":
        return to_date(cells, null)
    if kind == "period":
        return to_period(cells, null)
    if kind == "bool":
        return to_bool(cells, null)
    if kind == "enum":
        return to_enum(cells, null, choices, aliases)
    return to_text(cells, null, fold_width=kind == "code")
