"""Types shared by metric modules: headline figures and red flags."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Headline:
    """A headline figure: `value` (None when there is no data), its target, and the counts behind
    it when it is a share (numerator of denominator units/slots/problems).

    status: 'ok' (meets target), 'warn' (below target but within 5 points), 'bad', or 'missing'.
    unit: '%' for shares and rates in percent points, '个' for counts, etc. (a display hint).
    """

    key: str
    value: float | None
    target: float | None
    numerator: int | None = None
    denominator: int | None = None
    unit: str = "%"
    higher_is_better: bool = True
    # Annual rules only: units below the rule and units that have not reported (未报送), shown beside
    # the numerator (kpi.metrics.annual: the denominator holds them or not as the rules file says).
    failing: int | None = None
    not_reported: int | None = None

    @property
    def status(self) -> str:
        if self.value is None:
            return "missing"
        if self.target is None:
            return "ok"
        gap = (self.value - self.target) if self.higher_is_better else (self.target - self.value)
        if gap >= 0:
            return "ok"
        return "warn" if self.unit == "%" and gap >= -5 else "bad"


def share_pct(numerator: int, denominator: int) -> float | None:
    """numerator ÷ denominator × 100, or None when there is nothing to count."""
    return None if not denominator else numerator * 100.0 / denominator


# A red flag (预警) names the unit, the rule broken and by how much. `rule` is a message key
# under `flags.` (kpi/messages/flags.toml) whose text takes {actual}, {required}, {gap}, {detail};
# `detail` is data (a count, a date, an id, or meetings.MissedRun), worded by kpi.display.overview.
FLAG_COLUMNS = ["unit_code", "unit_name", "level", "rule", "actual", "required", "gap", "detail"]


def empty_flags() -> pd.DataFrame:
    """An empty red-flag table with the standard columns."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in FLAG_COLUMNS})
