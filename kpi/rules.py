"""The rules every figure is checked against, loaded from one editable TOML file (data/rules.toml).

The file is validated on load: a wrong type, an out-of-range number, an unknown key or a
missing one is refused with a `RulesError` naming the key and the problem.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kpi import config
from kpi.datasets import MEETING_TYPES, SUPERVISION_KINDS
from kpi.i18n import DEFAULT_LANGUAGE, TranslatedError, t

PERIODS = ("month", "bimonth", "quarter", "half_year", "year")
ROLLUPS = ("sum", "mean", "last")


class RulesError(TranslatedError):
    """The rules file is unusable (rules invalid): `setting` is the dotted key (or the file's path),
    `reason` a message key of messages/rules naming what is wrong with it, filled from `params`."""

    prefix = "rules."
    key = "error"
    composed = True  # the reason is a message of its own

    def __init__(self, setting: str, reason: str, **params: object):
        self.setting, self.reason = setting, reason
        super().__init__(**params)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return t(self.message_key, lang, key=self.setting, reason=t(f"rules.{self.reason}", lang, **self.params))


class RulesFileMissing(RulesError):
    """The rules file does not exist (`setting` is its path)."""

    def __init__(self, path: Path):
        super().__init__(str(path), "no_file")


class RulesNotToml(RulesError):
    """The rules file is not valid TOML (`setting` is its path); param `detail` is the parser's words."""

    def __init__(self, path: Path, detail: str):
        super().__init__(str(path), "bad_toml", detail=detail)


@dataclass(frozen=True)
class MeetingRule:
    """A required meeting: at least `min_count` of `type` in every `every` slot."""

    type: str
    every: str
    min_count: int


@dataclass(frozen=True)
class Indicator:
    """One entry of the indicator catalogue."""

    code: str
    name_zh: str
    name_en: str
    unit: str
    target: float | None
    higher_is_better: bool
    rollup: str
    pipeline_stage: int | None

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class WorkbookLimits:
    """What an uploaded workbook may hold, checked before it is parsed ([import] xlsx_* keys), and
    what parsing it in a child process may use. The defaults stand for a key the file leaves out."""

    max_unpacked_mb: float = 500
    max_compression_ratio: float = 100
    max_sheets: int = 50
    max_rows: int = 1_100_000
    max_columns: int = 200
    max_text_chars: int = 32_767
    parse_memory_mb: int = 2048
    parse_seconds: float = 120


@dataclass(frozen=True)
class MatrixBands:
    """When a cell of the unit × rule matrix is amber rather than green or red ([matrix]): a ratio
    rule met by less than `near_pct` percent of its threshold (1.02% against 1%: at risk), or 1 to
    `overdue_few` overdue problems (more is red). The defaults stand for a key the file leaves out."""

    near_pct: float = 5.0
    overdue_few: int = 2


# How a compliance share treats a unit that has not reported ([annual] not_reported_counts_as).
NOT_REPORTED_FAILING, NOT_REPORTED_EXCLUDED = "failing", "excluded"
NOT_REPORTED_CHOICES = (NOT_REPORTED_FAILING, NOT_REPORTED_EXCLUDED)


@dataclass(frozen=True)
class AnnualReporting:
    """Who owes the annual figures and how a missing one counts ([annual]): every unit of `levels`
    existing during the year is expected to report; one that has not is 未报送, and the share of
    units meeting a rule counts it as not meeting (`failing`, the default) or leaves it out of the
    share and reports it beside (`excluded`). The defaults stand for a key the file leaves out."""

    levels: tuple[int, ...] = (2, 3)
    not_reported_counts_as: str = NOT_REPORTED_FAILING

    @property
    def counts_as_failing(self) -> bool:
        return self.not_reported_counts_as == NOT_REPORTED_FAILING


@dataclass(frozen=True)
class StoreWait:
    """How long a command line job waits for a store file another process holds ([store]), before it
    gives up with a message naming the holder. A running dashboard does not count: it takes the job
    over at once (kpi/cli/handoff.py). The default stands for a key the file leaves out."""

    lock_wait_seconds: float = 30.0


@dataclass(frozen=True)
class Rules:
    funds_min_ratio_pct: float
    assessment_min_weight_pct: float
    party_staff_min_ratio_pct: float
    meeting_rules: tuple[MeetingRule, ...]
    meeting_gap_slots: int
    meeting_flag_below_pct: float
    standardisation_target_pct: float
    theory_min_coverage_pct: float
    inspection_cycle_years: int
    inspection_cycle_start_year: int
    inspection_kinds: tuple[str, ...]
    inspection_levels: tuple[int, ...]
    supervision_kinds: tuple[str, ...]
    supervision_levels: tuple[int, ...]
    due_soon_days: tuple[int, ...]
    ageing_buckets_days: tuple[int, ...]
    max_file_mb: float
    min_year: int
    max_year: int
    indicators: tuple[Indicator, ...]
    session_idle_hours: float
    max_failed_logins: int
    lockout_minutes: int
    min_password_length: int
    sign_in_window_seconds: int
    sign_in_per_client: int
    sign_in_global: int
    workbook: WorkbookLimits = WorkbookLimits()
    matrix: MatrixBands = MatrixBands()
    # [meetings] yearly_owed_if_founded_before_month: a branch founded during the year owes that
    # year's yearly meetings (组织生活会, 民主评议党员) only when founded before this month.
    meeting_yearly_founded_before_month: int = 10
    store: StoreWait = StoreWait()
    # The levels of unit a rule judged on the branches below raises its flag on ([meetings]
    # flag_below_levels, [standardisation] levels): fixed here, never the level below the unit viewed.
    meeting_flag_levels: tuple[int, ...] = (2,)
    standardisation_levels: tuple[int, ...] = (2,)
    # [inspection] count_in_start_cycle: an inspection counts for the cycle in which it started only
    # (False: for every cycle its start–end span overlaps).
    inspection_count_in_start_cycle: bool = True
    annual: AnnualReporting = AnnualReporting()
    # [briefing] list_max_rows: the most rows a list of the weekly briefing shows (its slide and the
    # appendix together); the rest are counted and left to the dashboard page the list comes from.
    briefing_list_max_rows: int = 100

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)

    def inspection_cycle(self, as_of: dt.date) -> tuple[dt.date, dt.date]:
        """First and last day of the inspection cycle containing `as_of` (cycles start at
        `cycle_start_year` and last `cycle_years`; before the first cycle, the first one)."""
        n = max(0, (as_of.year - self.inspection_cycle_start_year) // self.inspection_cycle_years)
        start = self.inspection_cycle_start_year + n * self.inspection_cycle_years
        return dt.date(start, 1, 1), dt.date(start + self.inspection_cycle_years - 1, 12, 31)


class _Reader:
    """Typed access to a TOML table that records which keys were read, to refuse unknown ones."""

    def __init__(self, table: dict, prefix: str):
        self.table, self.prefix, self.seen = table, prefix, set()

    def _key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def raw(self, name: str, optional: bool = False):
        self.seen.add(name)
        if name not in self.table:
            if optional:
                return None
            raise RulesError(self._key(name), "missing")
        return self.table[name]

    def number(self, name: str, low: float, high: float, optional: bool = False) -> float | None:
        value = self.raw(name, optional)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RulesError(self._key(name), "not_number", value=value)
        if not low <= value <= high:
            raise RulesError(self._key(name), "out_of_range", value=value, low=low, high=high)
        return float(value)

    def integer(self, name: str, low: int, high: int, optional: bool = False) -> int | None:
        value = self.raw(name, optional)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise RulesError(self._key(name), "not_integer", value=value)
        if not low <= value <= high:
            raise RulesError(self._key(name), "out_of_range", value=value, low=low, high=high)
        return value

    def text(self, name: str, choices: tuple[str, ...] = ()) -> str:
        value = self.raw(name)
        if not isinstance(value, str) or not value.strip():
            raise RulesError(self._key(name), "not_text", value=value)
        if choices and value not in choices:
            raise RulesError(self._key(name), "not_choice", value=value, choices="、".join(choices))
        return value

    def boolean(self, name: str, optional: bool = False) -> bool | None:
        value = self.raw(name, optional)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise RulesError(self._key(name), "not_bool", value=value)
        return value

    def choice_list(self, name: str, choices: tuple, optional: bool = False) -> tuple | None:
        value = self.raw(name, optional)
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            raise RulesError(self._key(name), "not_list")
        for item in value:
            if item not in choices:
                raise RulesError(self._key(name), "not_choice", value=item,
                                 choices="、".join(str(c) for c in choices))
        return tuple(value)

    def increasing_days(self, name: str) -> tuple[int, ...]:
        value = self.raw(name)
        ok = (isinstance(value, list) and value
              and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
              and all(a < b for a, b in zip(value, value[1:])))
        if not ok:
            raise RulesError(self._key(name), "not_increasing_days", value=value)
        return tuple(value)

    def sub(self, name: str) -> _Reader:
        value = self.raw(name)
        if not isinstance(value, dict):
            raise RulesError(self._key(name), "not_table")
        return _Reader(value, self._key(name))

    def done(self) -> None:
        extra = sorted(set(self.table) - self.seen)
        if extra:
            raise RulesError(self._key(extra[0]), "unknown_key")


def _meeting_rules(meetings: _Reader) -> tuple[MeetingRule, ...]:
    items = meetings.raw("required")
    if not isinstance(items, list) or not items:
        raise RulesError("meetings.required", "not_list")
    out: list[MeetingRule] = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise RulesError(f"meetings.required[{i}]", "not_table")
        r = _Reader(item, f"meetings.required[{i}]")
        rule = MeetingRule(r.text("type", MEETING_TYPES), r.text("every", PERIODS),
                           r.integer("min_count", 1, 100))
        r.done()
        if any(o.type == rule.type for o in out):
            raise RulesError(f"meetings.required[{i}].type", "duplicate", value=rule.type)
        out.append(rule)
    return tuple(out)


def _indicators(table: _Reader) -> tuple[Indicator, ...]:
    out = []
    for code in table.table:
        r = table.sub(code)
        out.append(Indicator(
            code=code, name_zh=r.text("name_zh"), name_en=r.text("name_en"), unit=r.text("unit"),
            target=r.number("target", -1e12, 1e12, optional=True),
            higher_is_better=r.boolean("higher_is_better"), rollup=r.text("rollup", ROLLUPS),
            pipeline_stage=r.integer("pipeline_stage", 1, 10, optional=True)))
        r.done()
    return tuple(out)


def _workbook_limits(imp: _Reader) -> WorkbookLimits:
    """The [import] xlsx_* keys; each may be left out (its default applies)."""
    default = WorkbookLimits()

    def pick(value, name: str):
        return getattr(default, name) if value is None else value

    return WorkbookLimits(
        max_unpacked_mb=pick(imp.number("xlsx_max_unpacked_mb", 1, 16_384, optional=True), "max_unpacked_mb"),
        max_compression_ratio=pick(imp.number("xlsx_max_compression_ratio", 2, 10_000, optional=True),
                                   "max_compression_ratio"),
        max_sheets=pick(imp.integer("xlsx_max_sheets", 1, 1000, optional=True), "max_sheets"),
        max_rows=pick(imp.integer("xlsx_max_rows", 1, 100_000_000, optional=True), "max_rows"),
        max_columns=pick(imp.integer("xlsx_max_columns", 1, 16_384, optional=True), "max_columns"),
        max_text_chars=pick(imp.integer("xlsx_max_text_chars", 1, 100_000_000, optional=True), "max_text_chars"),
        parse_memory_mb=pick(imp.integer("xlsx_parse_memory_mb", 64, 1_048_576, optional=True), "parse_memory_mb"),
        parse_seconds=pick(imp.number("xlsx_parse_seconds", 1, 86_400, optional=True), "parse_seconds"),
    )


def _matrix_bands(root: _Reader) -> MatrixBands:
    """The optional [matrix] table; each key may be left out (its default applies)."""
    default = MatrixBands()
    if root.raw("matrix", optional=True) is None:
        return default
    table = root.sub("matrix")
    near = table.number("near_pct", 0, 100, optional=True)
    few = table.integer("overdue_few", 0, 1000, optional=True)
    table.done()
    return MatrixBands(default.near_pct if near is None else near, default.overdue_few if few is None else few)


def _briefing_list_max_rows(root: _Reader) -> int:
    """[briefing] list_max_rows, 12–10,000 (at least one full slide); left out, the default."""
    if root.raw("briefing", optional=True) is None:
        return Rules.briefing_list_max_rows
    table = root.sub("briefing")
    rows = table.integer("list_max_rows", 12, 10_000, optional=True)
    table.done()
    return Rules.briefing_list_max_rows if rows is None else rows


def _yearly_founded_before_month(meetings: _Reader) -> int:
    """[meetings] yearly_owed_if_founded_before_month, 1–12 (1: only branches existing on 1 January
    owe the year); left out, the default (October: the regulations place 组织生活会 in Q4)."""
    month = meetings.integer("yearly_owed_if_founded_before_month", 1, 12, optional=True)
    return Rules.meeting_yearly_founded_before_month if month is None else month


def _store_wait(root: _Reader) -> StoreWait:
    """The optional [store] table; its key may be left out (the default applies)."""
    if root.raw("store", optional=True) is None:
        return StoreWait()
    table = root.sub("store")
    wait = table.number("lock_wait_seconds", 0, 3600, optional=True)
    table.done()
    return StoreWait() if wait is None else StoreWait(wait)


# Rules judged on the branches below a unit can be raised on any level that has branches below it.
_LEVELS_ABOVE_BRANCH = (1, 2, 3)


def _flag_levels(meetings: _Reader, std: _Reader) -> dict:
    """[meetings] flag_below_levels and [standardisation] levels; each may be left out (default: secondary units)."""
    below = meetings.choice_list("flag_below_levels", _LEVELS_ABOVE_BRANCH, optional=True)
    standard = std.choice_list("levels", _LEVELS_ABOVE_BRANCH, optional=True)
    return {"meeting_flag_levels": below or Rules.meeting_flag_levels,
            "standardisation_levels": standard or Rules.standardisation_levels}


def _inspection_choices(insp: _Reader) -> dict:
    """[inspection] count_in_start_cycle; may be left out (default: true)."""
    start_only = insp.boolean("count_in_start_cycle", optional=True)
    return {"inspection_count_in_start_cycle": Rules.inspection_count_in_start_cycle if start_only is None
            else start_only}


def _annual_reporting(root: _Reader) -> AnnualReporting:
    """The optional [annual] table; each key may be left out (its default applies)."""
    default = AnnualReporting()
    if root.raw("annual", optional=True) is None:
        return default
    table = root.sub("annual")
    levels = (table.choice_list("levels", (1, 2, 3, 4)) if table.raw("levels", optional=True) is not None
              else default.levels)
    counts_as = (table.text("not_reported_counts_as", NOT_REPORTED_CHOICES)
                 if table.raw("not_reported_counts_as", optional=True) is not None
                 else default.not_reported_counts_as)
    table.done()
    return AnnualReporting(tuple(levels), counts_as)


def rules_from_dict(data: dict) -> Rules:
    """Validate a parsed rules table and build `Rules`; raises `RulesError`."""
    root = _Reader(data, "")
    funds, assess, staff = root.sub("funds"), root.sub("assessment"), root.sub("party_staff")
    meetings, std, theory = root.sub("meetings"), root.sub("standardisation"), root.sub("theory_study")
    insp, sup, prob, imp = root.sub("inspection"), root.sub("supervision"), root.sub("problems"), root.sub("import")
    sec = root.sub("security")
    rules = Rules(
        funds_min_ratio_pct=funds.number("min_ratio_pct", 0.01, 100),
        assessment_min_weight_pct=assess.number("min_weight_pct", 0.01, 100),
        party_staff_min_ratio_pct=staff.number("min_ratio_pct", 0.01, 100),
        meeting_rules=_meeting_rules(meetings),
        meeting_gap_slots=meetings.integer("gap_slots", 1, 24),
        meeting_flag_below_pct=meetings.number("flag_below_pct", 0.01, 100),
        standardisation_target_pct=std.number("target_pct", 0.01, 100),
        theory_min_coverage_pct=theory.number("min_coverage_pct", 0.01, 100),
        inspection_cycle_years=insp.integer("cycle_years", 1, 10),
        inspection_cycle_start_year=insp.integer("cycle_start_year", 2000, 2100),
        inspection_kinds=insp.choice_list("kinds", SUPERVISION_KINDS),
        inspection_levels=insp.choice_list("levels", (1, 2, 3, 4)),
        supervision_kinds=sup.choice_list("kinds", SUPERVISION_KINDS),
        supervision_levels=sup.choice_list("levels", (1, 2, 3, 4)),
        due_soon_days=prob.increasing_days("due_soon_days"),
        ageing_buckets_days=prob.increasing_days("ageing_buckets_days"),
        max_file_mb=imp.number("max_file_mb", 0.001, 2048),
        min_year=imp.integer("min_year", 1900, 2200),
        max_year=imp.integer("max_year", 1900, 2200),
        indicators=_indicators(root.sub("indicators")),
        session_idle_hours=sec.number("session_idle_hours", 0.1, 24 * 30),
        max_failed_logins=sec.integer("max_failed_logins", 1, 100),
        lockout_minutes=sec.integer("lockout_minutes", 1, 24 * 60),
        min_password_length=sec.integer("min_password_length", 6, 128),
        sign_in_window_seconds=sec.integer("sign_in_window_seconds", 1, 24 * 3600),
        sign_in_per_client=sec.integer("sign_in_per_client", 1, 100_000),
        sign_in_global=sec.integer("sign_in_global", 1, 1_000_000),
        workbook=_workbook_limits(imp),
        matrix=_matrix_bands(root),
        meeting_yearly_founded_before_month=_yearly_founded_before_month(meetings),
        store=_store_wait(root),
        **_flag_levels(meetings, std),
        **_inspection_choices(insp),
        annual=_annual_reporting(root),
        briefing_list_max_rows=_briefing_list_max_rows(root),
    )
    if rules.min_year >= rules.max_year:
        raise RulesError("import.max_year", "not_after", value=rules.max_year, other=rules.min_year)
    for reader in (funds, assess, staff, meetings, std, theory, insp, sup, prob, imp, sec, root):
        reader.done()
    return rules


def load_rules(path: str | Path | None = None) -> Rules:
    """Read and validate the rules file (default data/rules.toml or $DJ_RULES)."""
    path = Path(path) if path else config.rules_path()
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise RulesFileMissing(path) from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesNotToml(path, str(exc)) from None
    return rules_from_dict(data)
