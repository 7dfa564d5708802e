"""本周变化: what changed between the previous Sunday and this one — red flags raised and cleared,
problems newly overdue and problems closed out — found by running the same functions at both dates
(`overview.red_flags` / `display.overview.flag_table`, `problems.overdue_problems`, `problems.problem_list`) and
comparing their rows, so the slide agrees with the flag list and the problem list of either day.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from kpi.briefing.model import Table
from kpi.datasets import CLOSED_STATUS
from kpi.display import overview as overview_text
from kpi.i18n import t
from kpi.metrics import overview, problems
from kpi.rules import Rules

WEEK = dt.timedelta(days=7)


def _flags(con, rules: Rules, day: dt.date, root: str | None, today: dt.date | None) -> pd.DataFrame:
    """The flag list of `day` (`overview.red_flags`), keyed by unit code and rule id."""
    raw = overview.red_flags(con.cursor(), rules, day, root, today=today)
    return raw.assign(key=list(zip(raw["unit_code"], raw["rule"])))


def _shown(flags: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Flags as the flag list words them (unit, rule name, message); worded only for the rows that
    changed — a large group has tens of thousands of flags and few changes."""
    return overview_text.flag_table(flags.drop(columns="key").reset_index(drop=True), lang)


def _newly(con, before: dt.date, end: dt.date, root: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The problems newly overdue and newly closed out: the rows of `problems.problem_list(end, f(end))`
    whose problem is not on `problem_list(before, f(before))`, for f = `_overdue` and `_closed_by`.
    The lists are compared by id (each date's state read once for both), then only the new rows are
    fetched, in the list's order."""
    now = problems.problem_ids(con.cursor(), end, root, [_overdue(end), _closed_by(end)])
    then = problems.problem_ids(con.cursor(), before, root, [_overdue(before), _closed_by(before)])
    late, closed = now[0] - then[0], now[1] - then[1]
    rows = problems.problem_list(con.cursor(), end, root, problems.ProblemFilter(ids=tuple(sorted(late | closed))),
                                 limit=None if late | closed else 0)
    return rows[rows["problem_id"].isin(late)], rows[rows["problem_id"].isin(closed)]


def _overdue(day: dt.date) -> problems.ProblemFilter:
    """Problems not closed and past their deadline at the list's date (`problems.overdue_problems`)."""
    return problems.ProblemFilter(overdue_only=True)


def _closed_by(day: dt.date) -> problems.ProblemFilter:
    """Problems whose state at `day` is 已销号, closed on or before `day` (a problem with no status
    snapshot carries its current status: its closed_date says when it was closed)."""
    return problems.ProblemFilter(statuses=(CLOSED_STATUS,), closed_to=day)


def _problem_text(row, lang: str) -> str:
    def text(value) -> str:
        return "—" if value is None or pd.isna(value) else str(value)
    return t("briefing.change_slide.problem", lang, problem_id=row.problem_id, description=text(row.description),
             owner=text(row.owner))


def weekly_changes(con, rules: Rules, end: dt.date, root: str | None, lang: str,
                   today: dt.date | None = None) -> Table:
    """The 本周变化 table: one row per flag raised, flag cleared, problem newly overdue and problem
    closed out between `end` − 7 days and `end`; the note counts each kind."""
    before = end - WEEK
    now_flags, old_flags = _flags(con, rules, end, root, today), _flags(con, rules, before, root, today)
    now_keys, old_keys = set(now_flags["key"]), set(old_flags["key"])
    raised = _shown(now_flags[[key not in old_keys for key in now_flags["key"]]], lang)
    cleared = _shown(old_flags[[key not in now_keys for key in old_flags["key"]]], lang)
    # overdue_problems(day) is problem_list(day) with overdue_only, in the same order
    # closed by the end but not by the previous Sunday (also a closure reported this week with an earlier date)
    newly_late, closed = _newly(con, before, end, root)
    label = {kind: t(f"briefing.change_slide.{kind}", lang)
             for kind in ("new_flag", "cleared_flag", "newly_overdue", "closed")}
    # the flag's sentence names its rule and figures (as in the overview's flag list)
    rows = [[label["new_flag"], f.unit_name, f.message] for f in raised.itertuples()]
    rows += [[label["cleared_flag"], f.unit_name, f.message] for f in cleared.itertuples()]
    rows += [[label["newly_overdue"], p.unit_name, _problem_text(p, lang)] for p in newly_late.itertuples()]
    rows += [[label["closed"], p.unit_name, _problem_text(p, lang)] for p in closed.itertuples()]
    note = t("briefing.change_slide.summary", lang, start=before.isoformat(), end=end.isoformat(), new=len(raised),
             cleared=len(cleared), overdue=len(newly_late), closed=len(closed))
    columns = [t(f"briefing.table.{c}", lang) for c in ("change", "unit", "detail")]
    return Table("changes", t("briefing.change_slide.title", lang), columns, rows, None, [1.6, 3.0, 7.9], note,
                 t("briefing.change_slide.empty", lang))
