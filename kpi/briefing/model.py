"""The briefing as data, already in the UI language: what every output format draws."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go


@dataclass(frozen=True)
class HeadlineRow:
    """One headline number: `value` is the metric's own value (None = no data), `value_text` and
    `change_text` its display; `status` is 'ok' | 'warn' | 'bad' | 'missing' (theme colours)."""

    key: str
    label: str
    value: float | None
    value_text: str
    change_text: str
    status: str


@dataclass(frozen=True)
class Section:
    """A slide: a chart (None when there is no data: `empty_message` says so) and 2–3 takeaways.

    `data` is the table behind the chart, shown on the page with the chart."""

    key: str
    title: str
    figure: go.Figure | None
    takeaways: list[str] = field(default_factory=list)
    empty_message: str | None = None
    data: pd.DataFrame | None = None


@dataclass(frozen=True)
class Briefing:
    """The whole briefing: title slide texts, the headline slide, then one slide per section."""

    title: str
    week: str
    period_text: str
    scope_label: str
    headline_title: str
    headlines: list[HeadlineRow]
    sections: list[Section]
    lang: str = "zh"

    def slide_titles(self) -> list[str]:
        """Titles of the slides in order: title slide, headline slide, sections."""
        return [self.title, self.headline_title] + [s.title for s in self.sections]

    def file_stem(self) -> str:
        return f"briefing-{self.week}"
