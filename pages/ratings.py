"""达标创星: branch standardisation compliance against the target, star distribution per unit, and one
branch's six basics against its secondary unit. Draws only; figures come from kpi.metrics.ratings."""
import streamlit as st

from kpi.charts import ratings as charts
from kpi.display.tables import labelled
from kpi.metrics import ratings
from pages import _ui

_ui.require_role(__file__)

st.title(_ui.tr("ratings.page_title"))
rules = _ui.get_rules()
as_of, root, lang, subtitle = _ui.as_of(), _ui.scope(), _ui.lang(), _ui.subtitle()

year = _ui.compute(ratings.ratings_year, as_of, root)
if year is None:
    _ui.empty_state("ratings.what", "ratings")
    st.stop()

st.caption(_ui.tr("ratings.year_note", year=year))
headline = _ui.compute(ratings.standardisation_compliance, rules, as_of, root)
st.metric(_ui.tr("ratings.headline"),
          _ui.tr("common.missing") if headline.value is None else f"{headline.value:.1f}%",
          border=True, help=_ui.tr("ratings.headline_help", compliant=headline.numerator, rated=headline.denominator,
                                   target=f"{headline.target:g}"))

by_unit = _ui.compute(ratings.compliance_by_unit, rules, as_of, root)
stars = _ui.compute(ratings.star_distribution, as_of, root)
left, right = st.columns(2)
with left:
    _ui.chart(charts.compliance_chart(by_unit, rules, lang, subtitle), labelled(by_unit, "ratings", lang),
              "ratings_compliance", unit_customdata=1)
with right:
    if stars.empty:
        _ui.empty_state("ratings.what", "ratings")
    else:
        _ui.chart(charts.star_chart(stars, lang, subtitle), labelled(stars, "ratings", lang), "ratings_stars",
                  unit_customdata=0)

branches = _ui.compute(ratings.rated_branches, as_of, root)
names = dict(zip(branches["unit_code"], branches["unit_name"]))
labels = {c: _ui.unit_with_code(n, c) for c, n in names.items()}
branch = st.selectbox(_ui.tr("ratings.branch_select"), list(names), key="ratings_branch", format_func=labels.get)
if branch is not None:
    basics = _ui.compute(ratings.six_basics, as_of, branch)
    if basics.empty:
        _ui.empty_state("ratings.what", "ratings")
    else:
        _ui.chart(charts.six_basics_chart(basics, names[branch], lang, subtitle), labelled(basics, "ratings", lang),
                  "ratings_six_basics")
