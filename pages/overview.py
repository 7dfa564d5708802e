"""领导驾驶舱: headline cards, red flags, ranking of units. Draws only; figures from kpi.metrics.overview,
their words from kpi.display.overview."""
import streamlit as st

from kpi.charts import overview as charts
from kpi.display import overview as overview_text
from kpi.display.tables import labelled
from kpi.metrics import overview
from pages import _ui

_ui.require_role(__file__)

STATUS_BADGE = {"ok": "green", "warn": "orange", "bad": "red", "missing": "gray"}
CARDS_PER_ROW = 5

rules = _ui.get_rules()
lang, as_of, root = _ui.lang(), _ui.as_of(), _ui.scope()
subtitle = _ui.subtitle()

st.title(_ui.tr("overview.page_title"))
st.caption(f"{_ui.md(subtitle)} · {_ui.tr('overview.intro')}")

cards = _ui.compute(overview.headline_cards, rules, as_of, root)
for start in range(0, len(cards), CARDS_PER_ROW):
    for column, card in zip(st.columns(CARDS_PER_ROW), cards[start:start + CARDS_PER_ROW]):
        text = overview_text.card_texts(card, rules, lang)
        with column.container(border=True):
            steady = card.change == 0
            st.metric(text["label"], text["value"], text["change"], help=text["help"],
                      delta_color="off" if steady else "normal" if card.now.higher_is_better else "inverse",
                      delta_arrow="off" if steady else "auto",
                      delta_description=_ui.tr("overview.change_description") if text["change"] and not steady
                      else None)
            if text["status"]:
                st.badge(text["status"], color=STATUS_BADGE[card.now.status])
            st.caption(" · ".join(part for part in (text["target"], text["counts"]) if part))

flag_rows = _ui.compute(overview_text.flag_rows, rules, as_of, root, lang=lang)
ranking = _ui.compute(overview.unit_ranking, rules, as_of, root)

left, right = st.columns([2, 3])
with left:
    st.subheader(_ui.tr("overview.ranking_heading"))
    if ranking.empty:
        _ui.empty_state("common.dataset.units", "units")
    else:
        # The chart draws the ranking bottom-up, so its points are the units in reverse order.
        _ui.chart(charts.ranking_chart(ranking, lang, subtitle), labelled(ranking, "overview", lang),
                  "ranking", unit_codes=list(ranking.unit_code)[::-1])
with right:
    st.subheader(_ui.tr("overview.flags_heading", n=len(flag_rows)))
    if flag_rows.empty:
        st.success(_ui.tr("overview.no_flags"))
    else:
        table = labelled(flag_rows, "overview", lang)
        _ui.unit_table(table, "overview_flags", list(flag_rows.unit_code), height=420)
        _ui.chart(charts.flags_by_rule_chart(flag_rows, lang, subtitle), table, "flags")
