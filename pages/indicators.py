"""其他指标: any indicator of the catalogue over time against its target, by unit, and the
member-development funnel. Draws only; figures come from kpi.metrics.indicators."""
import pandas as pd
import streamlit as st

from kpi.charts import indicators as charts
from kpi.display.tables import labelled
from kpi.i18n import measured
from kpi.metrics import indicators
from pages import _ui

_ui.require_role(__file__)

st.title(_ui.tr("indicators.page_title"))
rules = _ui.get_rules()
as_of, root, lang, subtitle = _ui.as_of(), _ui.scope(), _ui.lang(), _ui.subtitle()

theory = _ui.compute(indicators.theory_study_headline, rules, as_of, root)
st.metric(_ui.tr("indicators.headline.theory"),
          _ui.tr("common.missing") if theory.value is None else f"{theory.value:.1f}%", border=True,
          help=_ui.tr("indicators.headline.theory_help", target=f"{theory.target:g}"))

catalogue = {i.code: i for i in rules.indicators}
code = st.selectbox(_ui.tr("indicators.choose"), list(catalogue), key="indicators_code",
                    format_func=lambda c: catalogue[c].name(lang))
indicator = catalogue[code]
st.caption(_ui.tr("indicators.rollup_note", rollup=_ui.tr(f"indicators.rollup.{indicator.rollup}"),
                  target=_ui.tr("indicators.no_target") if indicator.target is None
                  else measured(f"{indicator.target:g}", indicator.unit, lang)))
series = _ui.compute(indicators.indicator_series, rules, code, root, end=as_of)
if series.empty:
    _ui.empty_state("indicators.what", "indicators")
else:
    units = dict(zip(series["unit_code"], series["unit_name"]))
    highlight = st.selectbox(_ui.tr("indicators.highlight"), [None, *units], key=f"indicators_highlight_{code}",
                             format_func=lambda c: _ui.tr("indicators.highlight_none") if c is None else units[c])
    _ui.chart(charts.series_chart(series, indicator, lang, subtitle, highlight), labelled(series, "indicators", lang),
              f"indicator_{code}")
    st.subheader(_ui.tr("indicators.latest_title"))
    latest = _ui.compute(indicators.indicator_latest, rules, code, as_of, root)
    _ui.data_table(labelled(latest, "indicators", lang), f"indicator_latest_{code}", expanded=True,
                   unit_codes=list(latest.unit_code))

pipeline = _ui.compute(indicators.member_pipeline, rules, as_of, root, lang=lang)
if pipeline["count"].map(pd.isna).all():
    _ui.empty_state("indicators.what_pipeline", "indicators")
else:
    # The stage's name is shown; its catalogue code is an English identifier.
    _ui.chart(charts.pipeline_chart(pipeline, lang, subtitle),
              labelled(pipeline.drop(columns="code"), "indicators", lang), "member_pipeline")
