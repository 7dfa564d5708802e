"""The import vocabulary: other ways offices write an enumerated value, and the value stored.

One table, data/aliases.toml (or $DJ_ALIASES), kept by the party-affairs office: per enumerated
column (by its English name), `"canonical value" = ["other spelling", …]`. An upload that writes
支委会 in 会议类型 stores 支部委员会会议; a value neither allowed nor listed is still refused with
the allowed list. Spellings are matched as the importer reads every enumeration: NFKC (full-width
forms) and without whitespace.

The file is validated when read: a column that is not an enumeration, a canonical value the column
does not allow, an alias that is itself an allowed value or is listed for two values is refused
with an `AliasesError` naming the entry. It is read again whenever it changes on disk.
"""
from __future__ import annotations

import functools
import os
import tomllib
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from kpi import config
from kpi.datasets import DATASETS
from kpi.rules import RulesError

ALIASES_ENV_VAR = "DJ_ALIASES"
DEFAULT_ALIASES_PATH = config.DATA_DIR / "aliases.toml"

# column name → {normalised alias → canonical value}
Aliases = Mapping[str, Mapping[str, str]]


class AliasesError(RulesError):
    """The alias table is unusable: `setting` names the entry (or the file), `reason` a message of
    messages/rules saying what is wrong with it."""

    key = "aliases_error"


def aliases_path() -> Path:
    """The alias table: $DJ_ALIASES, else data/aliases.toml."""
    chosen = os.environ.get(ALIASES_ENV_VAR)
    return Path(chosen) if chosen else DEFAULT_ALIASES_PATH


def normalised(text: str) -> str:
    """A spelling as the importer compares enumeration cells: NFKC, whitespace removed."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _enum_choices() -> dict[str, tuple[str, ...]]:
    """Every enumerated column of the data model → its allowed values."""
    return {c.name: c.choices for d in DATASETS.values() for c in d.columns if c.kind == "enum"}


def aliases_from_dict(data: dict) -> Aliases:
    """Validate a parsed alias table and index it by normalised spelling; raises `AliasesError`."""
    enums = _enum_choices()
    out: dict[str, Mapping[str, str]] = {}
    for column, table in data.items():
        if column not in enums:
            raise AliasesError(column, "unknown_key")
        if not isinstance(table, dict):
            raise AliasesError(column, "not_table")
        choices = enums[column]
        index: dict[str, str] = {}
        for canonical, spellings in table.items():
            where = f"{column}.{canonical}"
            if canonical not in choices:
                raise AliasesError(where, "not_choice", value=canonical, choices="、".join(choices))
            if not isinstance(spellings, list) or not all(isinstance(s, str) and s.strip() for s in spellings):
                raise AliasesError(where, "alias_not_list")
            for spelling in spellings:
                key = normalised(spelling)
                if key in choices:
                    raise AliasesError(where, "alias_is_canonical", value=spelling)
                if key in index and index[key] != canonical:
                    raise AliasesError(where, "alias_twice", value=spelling, other=index[key])
                index[key] = canonical
        out[column] = MappingProxyType(index)
    return MappingProxyType(out)


@functools.lru_cache(maxsize=4)
def _read(path: str, stamp: tuple[int, int]) -> Aliases:
    """The table of `path` as of its modification `stamp` (so an edit is picked up, an unchanged
    file is parsed once)."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise AliasesError(path, "bad_toml", detail=str(exc)) from None
    return aliases_from_dict(data)


def load_aliases(path: str | Path | None = None) -> Aliases:
    """The validated alias table (default `aliases_path()`); raises `AliasesError`."""
    path = Path(path) if path else aliases_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise AliasesError(str(path), "aliases_no_file") from None
    return _read(str(path), (stat.st_mtime_ns, stat.st_size))
