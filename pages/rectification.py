"""整改进度: status funnel, completion / close-out / on-time rates by source and by secondary unit,
ageing of open problems, weekly burn-down and new-versus-closed, problems due soon, unresolved 严重.
Draws only; figures come from kpi.metrics.problems."""
import streamlit as st

from kpi.charts import problems as charts
from kpi.display import problems as tables
from kpi.display.tables import labelled
from kpi.metrics import problems
from pages import _ui

_ui.require_role(__file__)

st.title(_ui.tr("rectification.page_title"))
rules = _ui.get_rules()
as_of, root, lang, subtitle = _ui.as_of(), _ui.scope(), _ui.lang(), _ui.subtitle()

heads = _ui.compute(problems.problem_headlines, as_of, root)
if heads["closeout"].denominator == 0:
    _ui.empty_state("problems.what", "problems")
    st.stop()

for column, (name, head) in zip(st.columns(3), heads.items()):
    value = f"{head.value:.1f}%" if head.unit == "%" else str(int(head.value))
    column.metric(_ui.tr(head.key), value, border=True,
                  help=_ui.tr(f"rectification.headline_help.{name}", numerator=head.numerator,
                              denominator=head.denominator))

funnel = _ui.compute(problems.status_funnel, as_of, root)
left, right = st.columns(2)
with left:
    _ui.chart(charts.funnel_chart(funnel, lang, subtitle), labelled(funnel, "rectification", lang), "rect_funnel")
with right:
    ageing = _ui.compute(problems.ageing_buckets, rules, as_of, root)
    _ui.chart(charts.ageing_chart(ageing, lang, subtitle), labelled(ageing, "rectification", lang), "rect_ageing")

for by in ("source", "secondary"):
    rates = _ui.compute(problems.problem_rates, as_of, root, by)
    _ui.chart(charts.rates_chart(rates, by, lang, subtitle), tables.rates_table(rates, by, lang), f"rect_by_{by}")

weekly = _ui.compute(problems.weekly_series, as_of, root)
left, right = st.columns(2)
if int(weekly[["open", "new", "closed"]].to_numpy().sum()) == 0:
    st.info(_ui.tr("rectification.no_snapshots"), icon=":material/info:")
else:
    with left:
        _ui.chart(charts.burndown_chart(weekly, lang, subtitle), labelled(weekly, "rectification", lang),
                  "rect_burndown")
    with right:
        _ui.chart(charts.new_vs_closed_chart(weekly, lang, subtitle), labelled(weekly, "rectification", lang),
                  "rect_new_closed")

# The tables draw the problems due soonest only; the titles count every one.
due_counts = _ui.compute(problems.due_soon_counts, rules, as_of, root)
soon = _ui.compute(problems.due_soon, rules, as_of, root, limit=_ui.TABLE_ROWS)
for column, days in zip(st.columns(len(rules.due_soon_days)), sorted(rules.due_soon_days)):
    within, n = soon[soon.days_left <= days], due_counts[days]
    with column:
        st.subheader(_ui.tr("rectification.due_soon_title", days=days, n=f"{n:,}"))
        if n == 0:
            st.success(_ui.tr("rectification.none_due", days=days))
        else:
            if n > len(within):
                st.caption(_ui.tr("rectification.due_first_rows", shown=f"{len(within):,}", n=f"{n:,}"))
            _ui.table(tables.due_table(within, lang), key=f"due_{days}")
