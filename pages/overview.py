"""领导驾驶舱: the unit × rule matrix first (who fails which rule), then the headline cards, then the
red flags and the ranking of units behind a tab. Draws only; figures from kpi.metrics.matrix and
kpi.metrics.overview, their words from kpi.display.matrix_text and kpi.display.overview."""
import streamlit as st

from kpi.charts import overview as charts
from kpi.display import matrix_text
from kpi.display import overview as overview_text
from kpi.display.matrix_xlsx import FILLS, matrix_xlsx_at
from kpi.display.tables import labelled
from kpi.metrics import overview
from kpi.metrics.matrix import STATUSES, rule_matrix
from pages import _ui

_ui.require_role(__file__)

STATUS_BADGE = {"ok": "green", "warn": "orange", "bad": "red", "missing": "gray"}
LEGEND_BADGE = {"red": "red", "amber": "orange", "green": "green", "grey": "gray"}
# The presentation view shows the cards in one row: the matrix and the cards fill one 16:9 screen.
PRESENTING = _ui.presentation_mode()
CARDS_PER_ROW = 10 if PRESENTING else 5
ROW_HEIGHT = 35  # st.dataframe's row height in pixels: the matrix is drawn tall enough for every unit
# 说明 at a fixed width (pixels) that fits beside the other columns at 1280 px, so long sentences wrap.
FLAG_MESSAGE_WIDTH = 360
FLAG_TABLE_HEIGHT, FLAG_ROW_HEIGHT = 560, 66  # above 64 px (4rem) st.dataframe wraps long texts
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

rules = _ui.get_rules()
lang, as_of, root = _ui.lang(), _ui.as_of(), _ui.scope()
subtitle = _ui.subtitle()

st.title(_ui.tr("overview.page_title"))
st.caption(f"{_ui.md(subtitle)} · {_ui.tr('overview.intro')}")

# The unit × rule matrix: the units one level below the scope, worst first; selecting a row opens the unit.
matrix = _ui.compute(rule_matrix, rules, as_of, root)
texts, statuses = matrix_text.matrix_frames(matrix, lang)
with st.container(horizontal=True, vertical_alignment="center", gap="small"):
    st.subheader(_ui.tr("matrix.title"), help=_ui.tr("matrix.legend"), anchor=False, width="content")
    for status in STATUSES:
        st.badge(_ui.tr(f"overview.matrix_legend.{status}"), color=LEGEND_BADGE[status])
    matrix_name = f"matrix-{as_of.isoformat()}.xlsx"
    caption = _ui.tr("matrix.as_of", as_of=as_of.isoformat(), scope=_ui.scope_label())
    workbook = _ui.compute(matrix_xlsx_at, rules, as_of, root, lang, caption)   # once per store state
    st.download_button(_ui.tr("overview.matrix_download"), workbook, matrix_name, XLSX_MIME,
                       key="overview_matrix_xlsx", icon=":material/download:", type="tertiary",
                       on_click=_ui.log_export, args=(matrix_name,))
fills = statuses.map(lambda s: f"background-color: #{FILLS[s]}; color: #1f1f1f" if s else "")
# A click on any cell (the unit's name or one of its rules) selects it and opens the unit's profile.
event = st.dataframe(texts.style.apply(lambda _: fills, axis=None), hide_index=True, width="stretch",
                     height=ROW_HEIGHT * (len(texts) + 1) + 3, row_height=ROW_HEIGHT, key="overview_matrix",
                     on_select="rerun", selection_mode="single-cell")
_ui.open_profile_of(_ui.selected_unit(event, list(matrix.units.unit_code)))
if not PRESENTING:  # a hint for the mouse, not for the meeting room
    st.caption(_ui.tr("overview.matrix_hint"))

cards = _ui.compute(overview.headline_cards, rules, as_of, root)
for start in range(0, len(cards), CARDS_PER_ROW):
    for column, card in zip(st.columns(CARDS_PER_ROW), cards[start:start + CARDS_PER_ROW]):
        text = overview_text.card_texts(card, rules, lang)
        with column.container(border=True, height="stretch"):  # cards of a row equally tall
            steady = card.change == 0
            st.metric(text["label"], text["value"], text["change"], help=text["help"],
                      delta_color="off" if steady else "normal" if card.now.higher_is_better else "inverse",
                      delta_arrow="off" if steady else "auto",
                      delta_description=_ui.tr("overview.change_description") if text["change"] and not steady
                      else None)
            if text["status"]:
                st.badge(text["status"], color=STATUS_BADGE[card.now.status])
            st.caption(" · ".join(part for part in (text["target"], text["counts"]) if part))

if PRESENTING:
    st.stop()  # the presentation view is the matrix and the cards: one screen, nothing to scroll to

flag_rows = _ui.compute(overview_text.flag_rows, rules, as_of, root, lang=lang)
ranking = _ui.compute(overview.unit_ranking, rules, as_of, root)

flags_tab, ranking_tab = st.tabs([_ui.tr("overview.flags_heading", n=len(flag_rows)),
                                  _ui.tr("overview.ranking_heading")])
with flags_tab:
    if flag_rows.empty:
        st.success(_ui.tr("overview.no_flags"))
    else:
        table = labelled(flag_rows, "overview", lang)
        # 说明 wraps in rows tall enough for two lines instead of running off the table's edge.
        message = {table.columns[-1]: st.column_config.TextColumn(width=FLAG_MESSAGE_WIDTH)}
        _ui.unit_table(table, "overview_flags", list(flag_rows.unit_code), height=FLAG_TABLE_HEIGHT,
                       column_config=message, row_height=FLAG_ROW_HEIGHT)
        _ui.chart(charts.flags_by_rule_chart(flag_rows, lang, subtitle), table, "flags")
with ranking_tab:
    if ranking.empty:
        _ui.empty_state("common.dataset.units", "units")
    else:
        # The chart draws the ranking bottom-up, so its points are the units in reverse order.
        _ui.chart(charts.ranking_chart(ranking, lang, subtitle), labelled(ranking, "overview", lang),
                  "ranking", unit_codes=list(ranking.unit_code)[::-1])
