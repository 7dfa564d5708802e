"""The demo's planted cases, named in one place: the imperfections supervision exists to find,
which the dashboard's pages, the README and tests/test_demo.py point at.

Each is drawn by the module named below from its own seeded generator, so the units it lands on
stay the same for the same seed. The benchmark sizes share the weak branches, the gap branches
(per chunk of branches), the shortfalls and the new branches; the planted problems, the units never
inspected and the secondary units without supervision are the demo's alone (its hand-drawn
problems and supervision, see `generate.DEMO`).

- weak branches (meetings.weak_branches; ratings): one branch in WEAK_BRANCH_SHARE misses meetings
  often and scores low in standardisation — the demo's 20 of 300.
- gap branches (meetings._gap_misses): GAP_BRANCHES branches skip one monthly meeting two months
  running.
- new branches (org.new_branch_dates): NEW_BRANCHES_THIS_YEAR founded in the as-of year and one
  on 1 July of the year before (names.NEW_BRANCH_DEPARTMENTS).
- funds and assessment-weight shortfalls (figures.demo_annual): SHORTFALLS per year; one
  secondary and one tertiary unit without the as-of year's annual row (figures.missing_annual_units).
- an extended deadline and a problem re-opened after close-out (problems._extended, _reopened).
- units never inspected in the cycle (NEVER_INSPECTED) and secondary units without 督查/调研 in the
  as-of year (NO_SUPERVISION_THIS_YEAR), in supervision.demo_supervision.
"""
from __future__ import annotations

WEAK_BRANCH_SHARE = 15
GAP_BRANCHES = 6
NEW_BRANCHES_THIS_YEAR = 3
# By years before the as-of year: (secondary units under the funds line, tertiary units under it,
# secondary units under the weight line, tertiary ones). The group improves over the three years,
# as the source documents describe.
SHORTFALLS = {0: (2, 4, 2, 2), 1: (1, 3, 2, 1), 2: (2, 5, 4, 3)}
NEVER_INSPECTED = (2, 6)  # secondary, tertiary units
NO_SUPERVISION_THIS_YEAR = 2  # secondary units without 督查/调研 in the as-of year
