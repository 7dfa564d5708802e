"""A small organisation tree for importer tests, so unit codes and names resolve.

Test modules build their own fixtures from `org_store` (tests/conftest.py is shared).

G001 集团 ─ S01 第一分公司 ─ T011 第一分公司机关 ─ B0111 机关第一党支部
                                               ├ B0112 机关第二党支部
                                               └ B0113 综合党支部
          ├ S02 第二分公司 ─ B0211 第二分公司第一党支部
          │               └ B0212 综合党支部        (same name as B0113: ambiguous)
          └ S09 物流公司
"""
from __future__ import annotations

from pathlib import Path

from kpi.store import Store, bump_data_version, open_store

UNITS = [
    ("G001", "集团", None, 1, "党委"),
    ("S01", "第一分公司", "G001", 2, "党委"),
    ("S02", "第二分公司", "G001", 2, "党委"),
    ("S09", "物流公司", "G001", 2, "党委"),
    ("T011", "第一分公司机关", "S01", 3, "党总支"),
    ("B0111", "机关第一党支部", "T011", 4, "党支部"),
    ("B0112", "机关第二党支部", "T011", 4, "党支部"),
    ("B0113", "综合党支部", "T011", 4, "党支部"),
    ("B0211", "第二分公司第一党支部", "S02", 4, "党支部"),
    ("B0212", "综合党支部", "S02", 4, "党支部"),
]


def fill_units(con) -> None:
    con.executemany("INSERT INTO units (unit_code, unit_name, parent_code, level, org_type) VALUES (?, ?, ?, ?, ?)",
                    [list(u) for u in UNITS])
    bump_data_version(con)   # as every writer does: caches move on, unit_paths follows the tree


def org_store(path: Path) -> Store:
    """A fresh store at `path` holding the tree above."""
    store = open_store(path)
    fill_units(store.cursor())
    return store


def template_store(path: Path, user: str = "ana") -> Path:
    """A store at `path` holding the units template (batch 1: HY … HY010101) and the meetings
    template (batch 2), committed by `user`, with the demo marked cleared (the app loads no demo)."""
    from kpi import store  # noqa: PLC0415
    from kpi.importing.commit import commit_upload  # noqa: PLC0415
    from kpi.importing.parse import parse_upload  # noqa: PLC0415
    from kpi.importing.templates import template_xlsx  # noqa: PLC0415
    from kpi.rules import load_rules  # noqa: PLC0415

    rules = load_rules()
    s = store.open_store(path)
    con = s.cursor()
    for dataset in ("units", "meetings"):
        commit_upload(con, parse_upload(template_xlsx(dataset), f"{dataset}.xlsx", dataset, con, rules), user)
    store.set_meta(con, "demo_cleared", "1")
    s.close()
    return path


def stored_checksums(path: Path, tables: tuple[str, ...]) -> dict:
    """(row count, hash) of `tables` in the store file at `path`, read with the file closed again
    afterwards (a server may open it next): proves a refused write changed nothing."""
    from kpi import store  # noqa: PLC0415

    s = store.open_store(path)
    try:
        sums = store.table_checksums(s.cursor())
    finally:
        s.close()
    return {name: sums[name] for name in tables}
