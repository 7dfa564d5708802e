"""The generated group's yearly and monthly figures (the demo's and every benchmark size's): annual rows,
branch ratings, indicator series.

Thresholds come from `Rules`, so the planted shortfalls stay shortfalls when a group edits its
rules: a unit planted under the funds line gets min_ratio × 0.55–0.95, a compliant one
min_ratio × 1.05–1.6; weights likewise around assessment_min_weight_pct.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kpi.datasets import SECRETARY_RATINGS
from kpi.demo.planted import SHORTFALLS
from kpi.rules import Rules

RATING_WEIGHTS = (0.45, 0.35, 0.17, 0.03)
# How the demo decides a branch's 是否达标 flag from its six basics (the flag is data the
# dashboard reads, not a rule it checks): every basic ≥ 60 and their mean ≥ 80.
RATING_MIN_BASIC = 60.0
RATING_MIN_MEAN = 80.0
# Mean score from which a branch gets 2, 3, 4, 5 stars (below the first: 1 star).
STAR_STEPS = (80.0, 85.0, 90.0, 95.0)
BASICS = ("basic_org", "basic_team", "basic_activity", "basic_role", "basic_system", "basic_support")


def _year_fraction(as_of: dt.date) -> float:
    return (as_of - dt.date(as_of.year, 1, 1)).days / 365.0


def missing_annual_units(rng: np.random.Generator, units: pd.DataFrame) -> list[str]:
    """One secondary and one tertiary unit that have not reported the as-of year's annual row."""
    return [str(rng.choice(units.loc[units.level == level, "unit_code"].to_numpy())) for level in (2, 3)]


def _planted(rng: np.random.Generator, codes: np.ndarray, count: int) -> set[str]:
    return set(rng.choice(codes, size=min(count, len(codes)), replace=False).tolist())


def demo_annual(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date, rules: Rules,
                missing: list[str]) -> pd.DataFrame:
    """One row per secondary and tertiary unit and year (as-of year and the two before), except
    `missing` in the as-of year."""
    scope = units[units.level.isin([2, 3])].reset_index(drop=True)
    wage = rng.uniform(12, 25, len(scope))
    rows = []
    for back in (2, 1, 0):
        year = as_of.year - back
        present = scope[~scope.unit_code.isin(missing)] if back == 0 else scope
        sec = present.loc[present.level == 2, "unit_code"].to_numpy()
        ter = present.loc[present.level == 3, "unit_code"].to_numpy()
        n_sf, n_tf, n_sw, n_tw = SHORTFALLS[back]
        under_funds = _planted(rng, sec, n_sf) | _planted(rng, ter, n_tf)
        under_weight = _planted(rng, sec, n_sw) | _planted(rng, ter, n_tw)
        spent_share = 1.0 if back else _year_fraction(as_of)
        reported = set(present.unit_code)
        for i, unit in scope.iterrows():
            if unit.unit_code not in reported:
                continue
            payroll = round(unit.staff_count * wage[i] * (1.04 ** -back) * rng.uniform(0.97, 1.0), 1)
            ratio = rules.funds_min_ratio_pct * (rng.uniform(0.55, 0.95) if unit.unit_code in under_funds
                                                 else rng.uniform(1.05, 1.6))
            budget = round(payroll * ratio / 100, 2)
            weight = rules.assessment_min_weight_pct * (
                rng.choice([0.5, 0.6, 0.8]) if unit.unit_code in under_weight
                else rng.choice([1.0, 1.2, 1.5, 1.8, 2.0]))
            staff_ratio = rules.party_staff_min_ratio_pct * rng.uniform(0.85, 1.8) / 100
            rows.append({
                "year": year, "unit_code": unit.unit_code, "payroll_prev_year": payroll, "fund_budget": budget,
                "fund_spent": round(min(budget, budget * spent_share * rng.uniform(0.8, 1.05)), 2),
                "assessment_weight_pct": round(float(weight), 1),
                "assessment_score": round(rng.uniform(76, 98), 1),
                "secretary_rating": str(rng.choice(SECRETARY_RATINGS, p=RATING_WEIGHTS)),
                "party_staff": max(1, int(round(unit.staff_count * staff_ratio))),
            })
    return pd.DataFrame(rows)


def demo_ratings(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date,
                 weak: set[str]) -> pd.DataFrame:
    """One row per branch and year it existed in; weak branches score low, all improve yearly."""
    branches = units[units.level == 4].reset_index(drop=True)
    quality = np.where(branches.unit_code.isin(weak), rng.normal(72, 4, len(branches)),
                       rng.normal(89, 4, len(branches)))
    frames = []
    for back in (2, 1, 0):
        year = as_of.year - back
        existing = np.array([d.year <= year for d in branches.founded_date])
        base = quality[existing] - 2.0 * back
        scores = np.clip(base[:, None] + rng.normal(0, 4, (len(base), len(BASICS))), 30, 100).round(1)
        frame = pd.DataFrame(scores, columns=list(BASICS))
        mean = scores.mean(axis=1)
        frame.insert(0, "unit_code", branches.unit_code[existing].to_numpy())
        frame.insert(0, "year", year)
        frame.insert(2, "stars", 1 + (mean[:, None] >= np.array(STAR_STEPS)).sum(axis=1))
        frame["compliant"] = (scores.min(axis=1) >= RATING_MIN_BASIC) & (mean >= RATING_MIN_MEAN)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _months(as_of: dt.date) -> list[str]:
    return [f"{y}-{m:02d}" for y in range(as_of.year - 2, as_of.year + 1) for m in range(1, 13)
            if (y, m) <= (as_of.year, as_of.month)]


def _pipeline(rng: np.random.Generator, members: int, n_months: int, n_stages: int) -> np.ndarray:
    """Counts per month (rows) and stage (columns), strictly decreasing along the pipeline."""
    applicants = np.maximum(n_stages + 1, np.round(members * rng.uniform(0.04, 0.08)
                                                    * (1 + rng.normal(0, 0.05, n_months))))
    out = np.zeros((n_months, n_stages))
    out[:, 0] = applicants
    for k in range(1, n_stages):
        shrunk = np.floor(out[:, k - 1] * rng.uniform(0.45, 0.7, n_months))
        out[:, k] = np.clip(shrunk, n_stages - k, out[:, k - 1] - 1)
    return out


def _series(rng: np.random.Generator, indicator, n: int) -> np.ndarray:
    if indicator.unit == "%":
        target = indicator.target if indicator.target is not None else 90.0
        bias = rng.uniform(-0.06, 0.04)
        return np.clip(target * (1 + bias + rng.normal(0, 0.015, n)), 0, 100).round(1)
    mean = (indicator.target or 5.0) * rng.uniform(0.6, 2.0)
    return rng.poisson(mean, n).astype(float)


def demo_indicators(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date, rules: Rules) -> pd.DataFrame:
    """Monthly values per secondary unit for every indicator of the rules catalogue."""
    months = _months(as_of)
    stages = sorted((i for i in rules.indicators if i.pipeline_stage), key=lambda i: i.pipeline_stage)
    others = [i for i in rules.indicators if not i.pipeline_stage]
    frames = []
    for unit in units[units.level == 2].itertuples():
        values = {i.code: _series(rng, i, len(months)) for i in others}
        if stages:
            counts = _pipeline(rng, unit.member_count, len(months), len(stages))
            values |= {i.code: counts[:, k] for k, i in enumerate(stages)}
        for code, series in values.items():
            frames.append(pd.DataFrame({"unit_code": unit.unit_code, "period": months,
                                        "indicator_code": code, "value": series}))
    return pd.concat(frames, ignore_index=True)
