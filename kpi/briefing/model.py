"""The briefing as data, already in the UI language: what every output format draws."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from kpi.i18n import t


@dataclass(frozen=True)
class HeadlineRow:
    """One headline number: `value` is the metric's own value (None = no data), `value_text` and
    `change_text` its display; `status` is 'ok' | 'warn' | 'bad' | 'missing' (theme colours);
    `change` the change since a week earlier (None when either figure is missing)."""

    key: str
    label: str
    value: float | None
    value_text: str
    change_text: str
    status: str
    change: float | None = None


@dataclass(frozen=True)
class Series:
    """One series of a native chart: its name, one value per category (None = no data) and, when
    the bars are coloured by status, one theme colour per point."""

    name: str
    values: list[float | None]
    colours: list[str] | None = None


@dataclass(frozen=True)
class ChartSpec:
    """A chart the PPTX draws as an editable PowerPoint chart (data embedded): `kind` 'bar'
    (horizontal) or 'column'; `number_format` of the value labels (Excel syntax); `title` names
    the target ('标准 ≥ 1%') so the rule travels with the chart."""

    kind: str
    title: str
    categories: list[str]
    series: list[Series]
    number_format: str = "0.0"


@dataclass(frozen=True)
class Table:
    """A list a slide shows as a table: header `columns`, `rows` of cell texts, optional per-cell
    `statuses` (red / amber / green / grey, the matrix colours), relative column `widths`, a
    `note` under it (legend or summary) and the `empty_message` when there are no rows. Rows
    beyond one slide continue in the appendix. `total` is how many rows the list had before
    `capped` kept its first ones (None: all are here); `full_list` is the message key naming where
    the whole list is."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    statuses: list[list[str | None]] | None = None
    widths: list[float] | None = None
    note: str | None = None
    empty_message: str | None = None
    total: int | None = None
    full_list: str | None = None

    @property
    def row_count(self) -> int:
        """How many rows the whole list has (also those `capped` left out)."""
        return len(self.rows) if self.total is None else self.total

    def capped_note(self, lang: str) -> str | None:
        """'共 N 项，周报列出前 M 项；完整清单见…' when `capped` left rows out, else None."""
        if self.row_count == len(self.rows):
            return None
        return t("briefing.table.capped", lang, total=f"{self.row_count:,}", shown=len(self.rows),
                 where=t(self.full_list, lang))


def capped(table: Table, max_rows: int, full_list: str) -> Table:
    """`table` with its first `max_rows` rows only (rules [briefing] list_max_rows; a table built with
    fewer rows than it has, its `total` set, counts as cut too): a briefing of a
    group of 100,000 branches would otherwise run to thousands of appendix slides. `full_list` is the
    message key naming the dashboard page holding the whole list; the slide says how many rows were
    left out."""
    if len(table.rows) <= max_rows and table.row_count == len(table.rows):
        return table
    statuses = table.statuses[:max_rows] if table.statuses is not None else None
    return dataclasses.replace(table, rows=table.rows[:max_rows], statuses=statuses, total=table.row_count,
                               full_list=full_list)


@dataclass(frozen=True)
class Section:
    """A slide: a chart (None when there is no data: `empty_message` says so) and 2–3 takeaways.

    `data` is the table behind the chart, shown on the page with the chart; `charts` the same
    figures as native PowerPoint charts (empty when the chart type has none, e.g. a heat map)."""

    key: str
    title: str
    figure: go.Figure | None
    takeaways: list[str] = field(default_factory=list)
    empty_message: str | None = None
    data: pd.DataFrame | None = None
    charts: list[ChartSpec] = field(default_factory=list)


@dataclass(frozen=True)
class Briefing:
    """The whole briefing: title slide texts, the unit × rule matrix, the headline slide, this
    week's changes, one slide per section followed by the list naming its units, the appendix."""

    title: str
    week: str
    period_text: str
    scope_label: str
    headline_title: str
    headlines: list[HeadlineRow]
    sections: list[Section]
    lang: str = "zh"
    as_of_text: str = ""
    matrix: Table | None = None
    changes: Table | None = None
    lists: dict[str, Table] = field(default_factory=dict)

    def slide_titles(self) -> list[str]:
        """Titles of the slides in order (`slide_plan`)."""
        return [slide.title for slide in slide_plan(self)]

    def file_stem(self) -> str:
        return f"briefing-{self.week}"


# The order of the slides, shared by the PPTX and the PDF so that both have the same pages and
# page numbers:
#
# cover → unit × rule matrix (the first content slide) → headline numbers → 本周变化 → per section:
# its chart slide, then the list naming the units behind it (when there are any) → appendix.
#
# A list longer than one slide shows its first rows and says where the rest are; the rest follows in
# the appendix, one table per slide, with the header repeated.
#
# Rows of a table on one slide: one line per row at the table font size (kpi.briefing.slides_pptx).
ROWS_PER_SLIDE = 12
ROWS_PER_APPENDIX_SLIDE = 13


@dataclass(frozen=True)
class Slide:
    """One slide: `kind` is 'cover', 'headlines', 'section' or 'table'; a table slide shows
    rows[first:last] of `table` and `note` under it (the legend, or where the other rows are)."""

    kind: str
    title: str
    section: Section | None = None
    table: Table | None = None
    first: int = 0
    last: int = 0
    note: str | None = None


def _chunks(total: int, first_size: int, size: int) -> list[tuple[int, int]]:
    """Row ranges: the first slide holds `first_size` rows, each appendix slide `size`."""
    ranges = [(0, min(total, first_size))]
    start = first_size
    while start < total:
        ranges.append((start, min(total, start + size)))
        start += size
    return ranges


def slide_plan(briefing: Briefing) -> list[Slide]:
    """Every slide of `briefing` in order (see the module docstring)."""
    lang = briefing.lang
    main: list[Slide | tuple[Table, list[tuple[int, int]]]] = [Slide("cover", briefing.title)]

    def add_table(table: Table | None, even_empty: bool) -> None:
        if table is not None and (table.rows or even_empty):
            main.append((table, _chunks(len(table.rows), ROWS_PER_SLIDE, ROWS_PER_APPENDIX_SLIDE)))

    add_table(briefing.matrix, even_empty=True)
    main.append(Slide("headlines", briefing.headline_title))
    add_table(briefing.changes, even_empty=True)
    for section in briefing.sections:
        main.append(Slide("section", section.title, section=section))
        add_table(briefing.lists.get(section.key), even_empty=False)
    # Page numbers of the appendix are known once the main slides are counted.
    next_page = len(main) + 1
    slides: list[Slide] = []
    appendix: list[Slide] = []
    for item in main:
        if isinstance(item, Slide):
            slides.append(item)
            continue
        table, ranges = item
        (first, last), rest = ranges[0], ranges[1:]
        left_out = table.row_count - len(table.rows)
        if rest and left_out:
            # the first appendix slide of this table is the next page not yet numbered
            note = t("briefing.table.more_capped", lang, total=f"{table.row_count:,}", shown=len(table.rows),
                     n=len(table.rows) - last, page=next_page, where=t(table.full_list, lang))
        elif rest:
            note = t("briefing.table.more", lang, n=f"{len(table.rows) - last:,}", total=f"{len(table.rows):,}",
                     page=next_page)
        elif left_out:
            note = table.capped_note(lang)
        else:
            note = table.note
        slides.append(Slide("table", table.title, table=table, first=first, last=last, note=note))
        for a, b in rest:
            # the last slide of a capped list says again how many rows were left out and where they are
            last_note = table.capped_note(lang) if left_out and b == len(table.rows) else table.note
            appendix.append(Slide("table", t("briefing.table.appendix_title", lang, title=table.title,
                                             first=a + 1, last=b), table=table, first=a, last=b, note=last_note))
            next_page += 1
    return slides + appendix
