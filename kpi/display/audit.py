"""The audit log as shown and exported: actions, details and headers in the UI language."""
from __future__ import annotations

import re

import pandas as pd

from kpi.access.audit import COLUMNS
from kpi.i18n import has, t

# Where the words of an action's detail are translated (the first prefix holding the word wins):
# sign-in methods and refusal reasons, the fields of an account change, roles, problem fields.
# Details of other actions (file names, batch numbers, digests, paths) are shown as stored.
_DETAIL_WORDS = {
    "sign_in": ("audit.detail.",),
    "sign_in_failed": ("audit.detail.",),
    "admin_created": ("audit.detail.",),
    "account_created": ("auth.role.",),
    "account_changed": ("audit.detail.",),
    "demo_cleared": ("audit.detail.",),
    "edit": ("problems.col.",),
}
_WORD = re.compile(r"[^\s,:#+~=*]+")


def detail_text(action: str, detail: str | None, lang: str = "zh") -> str:
    """The detail of an `action` entry in `lang`: its stored words ('password', 'bad_credentials',
    'role, password', '管理员 G01', '#12 status, due_date') replaced by their labels; anything else as stored."""
    prefixes = _DETAIL_WORDS.get(action)
    if not detail or not prefixes:
        return detail or ""

    def label(match: re.Match) -> str:
        word = match.group(0)
        key = next((f"{prefix}{word}" for prefix in prefixes if has(f"{prefix}{word}")), None)
        return t(key, lang) if key else word
    return _WORD.sub(label, detail)


def labelled_entries(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """`entries` as shown and exported: actions and details translated, time as text, headers in `lang`."""
    out = df.copy()
    out["action"] = [t(f"audit.action.{a}", lang) for a in df["action"]]
    out["detail"] = [detail_text(a, d, lang) for a, d in zip(df["action"], df["detail"])]
    out["logged_at"] = [pd.Timestamp(v).strftime("%Y-%m-%d %H:%M:%S") for v in df["logged_at"]]
    return out.rename(columns={c: t(f"audit.column.{c}", lang) for c in COLUMNS})
