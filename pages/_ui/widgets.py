"""Drawing helpers shared by the pages: a chart with the data behind it, tables of units that open a
unit's profile, downloads (audited), empty states. Draws only; every figure comes from `kpi/`.
"""
from __future__ import annotations

import math
from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kpi.display.exports import to_csv_bytes, to_xlsx_bytes
from kpi.display.textsafe import plotly_value
from pages._ui.context import tr
from pages._ui.session import log_export


def chart(fig: go.Figure, data: pd.DataFrame, key: str, unit_codes: list[str] | None = None,
          unit_customdata: int | None = None) -> None:
    """Draw `fig`, then a 'view data' expander with exactly the data behind it as CSV/XLSX.

    Given `unit_codes` (the unit of each point of the first trace, in drawing order) or
    `unit_customdata` (where each point's customdata holds its unit code), clicking a point opens
    that unit's profile."""
    if unit_codes is None and unit_customdata is None:
        st.plotly_chart(fig, width="stretch", key=f"chart_{key}")
    else:
        event = st.plotly_chart(fig, width="stretch", key=f"chart_{key}", on_select="rerun",
                                selection_mode="points")
        st.caption(tr("profile.drill.chart_hint"))
        open_profile_of(selected_unit(event, unit_codes, unit_customdata))
    data_table(data, key)


def data_table(data: pd.DataFrame, key: str, expanded: bool = False, unit_codes: list[str] | None = None) -> None:
    """The data behind a figure, viewable and downloadable (CSV with BOM, XLSX); with `unit_codes`
    (the unit of each row) selecting a row opens that unit's profile."""
    with st.expander(tr("common.view_data"), expanded=expanded):
        if unit_codes is None:
            table(_first_rows(data))
        else:
            unit_table(data, f"table_{key}", unit_codes)
        left, right = st.columns(2)
        # Files are built when clicked (a callable), not on every rerun: an XLSX of 40k rows takes seconds.
        left.download_button(tr("common.download_csv"), partial(to_csv_bytes, data), f"{key}.csv",
                             "text/csv", key=f"csv_{key}", on_click=log_export, args=(f"{key}.csv",))
        right.download_button(tr("common.download_xlsx"), partial(to_xlsx_bytes, data), f"{key}.xlsx",
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              key=f"xlsx_{key}", on_click=log_export, args=(f"{key}.xlsx",))


def empty_state(what_key: str, dataset: str) -> None:
    """Say which data is missing and which upload provides it."""
    st.info(tr("common.empty", what=tr(what_key), dataset=tr(f"common.dataset.{dataset}")),
            icon=":material/info:")


PROFILE_PAGE = "pages/unit_profile.py"


def selected_unit(event, unit_codes: list[str] | None = None, unit_customdata: int | None = None) -> str | None:
    """The unit picked in the selection `event` of st.dataframe (first selected row or cell → unit_codes)
    or st.plotly_chart (first clicked point → its customdata[unit_customdata], else the
    unit_codes entry of its index on the first trace); None when nothing (usable) is selected.
    Chart customdata holds text escaped for Plotly (kpi.charts.theme.text): read back unescaped."""
    selection = (event or {}).get("selection") or {}
    # A selected cell (selection_mode "single-cell") stands for its row.
    rows = selection.get("rows") or [cell[0] for cell in selection.get("cells") or []]
    if rows:
        row = rows[0]
        return unit_codes[row] if unit_codes is not None and 0 <= row < len(unit_codes) else None
    for point in selection.get("points") or []:
        custom = point.get("customdata")
        if unit_customdata is not None and isinstance(custom, list) and len(custom) > unit_customdata:
            code = custom[unit_customdata]
            return plotly_value(code) if isinstance(code, str) else code
        index = point.get("point_index", point.get("point_number"))
        if unit_codes is not None and point.get("curve_number", 0) == 0 and index is not None \
                and 0 <= index < len(unit_codes):
            return unit_codes[index]
    return None


def open_profile_of(unit_code: str | None) -> None:
    """Switch to the unit profile page showing `unit_code` (nothing when None)."""
    if unit_code:
        st.session_state["profile_unit"] = unit_code
        # Counted so that the profile page can key its widgets per visit (see pages/unit_profile.py).
        st.session_state["profile_visit"] = st.session_state.get("profile_visit", 0) + 1
        st.switch_page(PROFILE_PAGE)


TABLE_ROWS = 1000  # rows sent to the browser per table; a large group's lists run to tens of thousands
MISSING = "—"  # a missing value in a table (Streamlit writes "None")


def table(data: pd.DataFrame, key: str | None = None, **kwargs):
    """st.dataframe of `data` across the page, missing values as "—"; a table without rows is a
    caption saying so (Streamlit's empty grid says "empty" in English). Returns st.dataframe's value."""
    if data.empty:
        st.caption(tr("widgets.no_rows"))
        return None
    return st.dataframe(data, hide_index=True, width="stretch", key=key, placeholder=MISSING, **kwargs)


def _first_rows(data: pd.DataFrame) -> pd.DataFrame:
    """At most TABLE_ROWS rows of `data` to draw, saying so when there are more (downloads keep all)."""
    if len(data) <= TABLE_ROWS:
        return data
    st.caption(tr("common.table_first_rows", shown=f"{TABLE_ROWS:,}", n=f"{len(data):,}"))
    return data.head(TABLE_ROWS)


def unit_table(data: pd.DataFrame, key: str, unit_codes: list[str] | None = None, unit_column: str = "unit_code",
               height: int | str = "auto", column_config: dict | None = None, row_height: int | None = None) -> None:
    """A table of units (one row each in `unit_codes`, default the `unit_column` column) in which
    selecting a row opens that unit's profile; `column_config` and `row_height` as st.dataframe's
    (a row taller than 4rem lets long texts wrap)."""
    codes = list(data[unit_column]) if unit_codes is None else list(unit_codes)
    event = table(_first_rows(data), key, height=height, on_select="rerun", selection_mode="single-row",
                  column_config=column_config, row_height=row_height)
    st.caption(tr("profile.drill.table_hint"))
    open_profile_of(selected_unit(event, codes))


# Streamlit's frontend writes some of its widgets' texts in English only and offers no parameter for
# them. They are replaced through CSS: the English text is shrunk to nothing and the translation
# is drawn in its place (::after). Selectors are those of Streamlit 1.67's frontend; the browser
# test tests/test_e2e_language.py fails when a release renames them (the English text comes back).
# Sizes: the font sizes Streamlit gives these texts (theme sizes sm = 0.875rem, md = 1rem).
_DATE_SEGMENT = "[data-testid='stDateInput'] [data-placeholder='true'][data-type='{part}']"


def _css_text(text: str) -> str:
    """`text` as a CSS string literal (quotes, backslashes and '<' escaped: it sits in a <style>)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return f'"{escaped}"'


def _replace_text(selector: str, text: str, size: str) -> str:
    """CSS drawing `text` instead of the text of the elements matched by `selector`."""
    return (f"{selector} {{ font-size: 0 !important; }} "
            f"{selector}::after {{ content: {_css_text(text)}; font-size: {size}; }}")


# The chart tool bar's buttons by their English title (Plotly's `data-title`, drawn as the tooltip
# by its ::after) → message key under widgets.modebar.
_MODEBAR_TITLES = {
    "Download plot as a PNG": "download", "Download plot": "download", "Zoom": "zoom", "Pan": "pan",
    "Box Select": "box_select", "Lasso Select": "lasso_select", "Zoom in": "zoom_in", "Zoom out": "zoom_out",
    "Autoscale": "autoscale", "Reset axes": "reset_axes", "Reset view": "reset_view", "Toggle Spike Lines": "spikes",
    "Show closest data on hover": "hover_closest", "Compare data on hover": "hover_compare",
    "Fullscreen": "fullscreen", "Close fullscreen": "close_fullscreen",
}


# The buttons of the tool bar Streamlit draws over a table or chart, by their English aria-label → message
# key under widgets.toolbar. Their tooltip is drawn apart (in a layer at the end of the page) and names
# no button; while one button is hovered or focused, the one tooltip shown is that button's.
_TOOLBAR_LABELS = {"Show/hide columns": "columns", "Search": "search", "Fullscreen": "fullscreen",
                   "Close fullscreen": "close_fullscreen"}
_TOOLBAR_TOOLTIP = ("body:has([data-testid='stBaseButton-elementToolbar'][aria-label={label}]"
                    ":is(:hover, :focus-visible)) [data-testid='stTooltipContent'] p")


def widget_texts() -> None:
    """Translate the texts Streamlit and Plotly draw themselves on every page: the empty date fields'
    placeholders (yyyy / mm / dd), the chart tool bar's tooltips and those of the tool bar over tables
    and charts. Called once per run by the frame; takes no space (a style-only st.html)."""
    rules = [_replace_text(_DATE_SEGMENT.format(part=part), tr(f"widgets.date_{part}"), "0.875rem")
             for part in ("year", "month", "day")]
    rules += [f".js-plotly-plot .modebar-btn[data-title={_css_text(title)}]::after "
              f"{{ content: {_css_text(tr(f'widgets.modebar.{key}'))} !important; }}"
              for title, key in _MODEBAR_TITLES.items()]
    rules += [_replace_text(_TOOLBAR_TOOLTIP.format(label=_css_text(label)), tr(f"widgets.toolbar.{key}"), "0.875rem")
              for label, key in _TOOLBAR_LABELS.items()]
    st.html(f"<style>{' '.join(rules)}</style>")


def multiselect(container, label: str, options, key: str, **kwargs):
    """st.multiselect (on `container`: st or a column) with its placeholder in the UI language —
    Streamlit's own reads "Choose options" / "No options to select"."""
    options = list(options)
    placeholder = tr("widgets.choose") if options else tr("widgets.no_options")
    return container.multiselect(label, options, key=key, placeholder=placeholder,
                                 disabled=kwargs.pop("disabled", not options), **kwargs)


def file_uploader(label: str, types: list[str], cap_mb: float, key: str):
    """st.file_uploader whose browser-side limit is the rules file's cap `cap_mb` (whole megabytes,
    rounded up: the importer refuses anything above the exact cap with its own message), with its
    button and its instructions ("200MB per file • CSV") in the UI language, stating that cap."""
    uploaded = st.file_uploader(label, type=types, key=key, max_upload_size=max(1, math.ceil(cap_mb)))
    scope = f".st-key-{key} [data-testid='stFileUploaderDropzone']"
    listed = tr("common.list_separator").join(t.upper() for t in types)
    st.html("<style>" + " ".join([
        _replace_text(f"{scope} button [data-testid='stMarkdownContainer'] p", tr("widgets.upload_button"),
                      "1rem"),
        _replace_text(f"{scope} [data-testid='stFileUploaderDropzoneInstructions'] span",
                      tr("widgets.upload_instructions", cap=f"{cap_mb:g}", types=listed), "0.875rem"),
    ]) + "</style>")
    return uploaded


def unit_with_code(name: str, code: str) -> str:
    """'示范电力有限公司（G01）' / 'name (G01)': a unit named with its code, for plain-text sinks."""
    return tr("widgets.unit_with_code", name=name, code=code)
