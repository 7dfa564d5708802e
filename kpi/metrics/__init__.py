"""Every figure on screen, one function each. Conventions shared by all metric modules:

- Signature: `f(con, rules, as_of, root=None, ...)`: `con` a DuckDB cursor, `rules` the loaded
  `kpi.rules.Rules`, `as_of` a `datetime.date`, `root` the unit code of the subtree (None =
  the whole store). Rules values come from `rules`, never from literals.
- Docstring states the formula and the rule it checks.
- Missing data is None / NaN / pd.NA, never 0: a unit with no row is 'no data', not '0%'.
- A parent's compliance is the share of its units that comply (count ÷ count), never an
  average of percentages.
- Aggregation happens in DuckDB SQL with bound values; functions return DataFrames or the
  small dataclasses below, never Streamlit objects.
"""
