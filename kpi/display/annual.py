"""The annual figures as text: each rule's headline on the funds page (met / below / not reported)
and the per-unit tables with their statuses and reasons in the UI language. Figures come from
kpi.metrics.annual."""
from __future__ import annotations

import pandas as pd

from kpi.display.tables import labelled
from kpi.i18n import t
from kpi.metrics.annual import ANNUAL_RULES
from kpi.rules import Rules


def summary_texts(row, rules: Rules, lang: str = "zh") -> dict[str, str]:
    """One rule's row of `annual.compliance_summary` as the funds page shows it: the share ('70.0%',
    or 'no data'), the counts ('7 达标 / 2 未达标 / 1 未报送，共 10') and how the share treats the
    units not reported (the rules file's choice)."""
    value = t("common.missing", lang) if pd.isna(row.share_pct) else f"{row.share_pct:.1f}%"
    counts = t("overview.of_reported", lang, met=int(row.complying), failing=int(row.failing),
               missing=int(row.not_reported), units=int(row.units))
    basis = t(f"funds.not_reported_basis.{rules.annual.not_reported_counts_as}", lang)
    return {"label": t(f"funds.rule.{row.rule}", lang), "value": value, "counts": counts,
            "help": t("funds.headline_help", lang, counts=counts, basis=basis)}


def annual_table(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A per-unit frame of kpi.metrics.annual with its `<rule>_status` and `<rule>_reason` columns in
    words (达标 / 未达标 / 未报送, and why a figure is missing) and every column named in `lang`."""
    out = df.copy()
    for rule in ANNUAL_RULES:
        if f"{rule}_status" in out:
            out[f"{rule}_status"] = [None if pd.isna(v) else t(f"funds.status.{v}", lang)
                                     for v in out[f"{rule}_status"]]
        if f"{rule}_reason" in out:
            out[f"{rule}_reason"] = [None if pd.isna(v) else t(f"flags.reason.{v}", lang)
                                     for v in out[f"{rule}_reason"]]
    return labelled(out, "funds", lang)
