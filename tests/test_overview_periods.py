"""The overview on the demo group across a month boundary (issue 14, Done when): a period is owed
only once it has ended, so 组织生活完成率 does not drop on the first day of a month.

The demo is generated as of 2026-12-01 (its last meetings are dated that day). At 2026-11-30 every
slot up to November has ended; on 2026-12-01 December and the year are still running and owed only
where already met (the meetings of 12-01), so the card moves by those meetings only.
"""
import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpi import store
from kpi.metrics.meetings import meeting_headline
from kpi.rules import load_rules
from tests.fixtures.apptest_helpers import signed_in

APP = str(Path(__file__).resolve().parent.parent / "app.py")
DEMO_AS_OF = dt.date(2026, 12, 1)
LAST_DAY, FIRST_DAY, NEXT_MONDAY = dt.date(2026, 11, 30), dt.date(2026, 12, 1), dt.date(2026, 12, 7)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, demo_store):
    return demo_store(tmp_path_factory.mktemp("overview-periods") / "demo.duckdb", DEMO_AS_OF)


def _meetings_card(monkeypatch, db: Path, as_of: dt.date) -> tuple[str, str | None]:
    monkeypatch.setenv("DJ_DB", str(db))
    at = signed_in(AppTest.from_file(APP, default_timeout=90))
    at.session_state["as_of"] = as_of
    at.run()
    assert not at.exception
    card = next(m for m in at.metric if m.label == "组织生活完成率")
    return card.value, card.delta


def test_completion_card_does_not_drop_on_the_first_day_of_a_month(monkeypatch, demo_db):
    opened = store.open_store(demo_db)
    try:
        heads = {d: meeting_headline(opened.cursor(), load_rules(), d, today=NEXT_MONDAY)
                 for d in (LAST_DAY, FIRST_DAY, NEXT_MONDAY)}
    finally:
        opened.close()
    # The demo's figures: 30 slots met on 12-01 (December running, met early) are the only change.
    assert (heads[LAST_DAY].numerator, heads[LAST_DAY].denominator) == (12361, 12610)
    assert (heads[FIRST_DAY].numerator, heads[FIRST_DAY].denominator) == (12391, 12640)
    assert heads[NEXT_MONDAY] == heads[FIRST_DAY]          # nothing recorded after 12-01
    assert abs(heads[FIRST_DAY].value - heads[LAST_DAY].value) < 0.5

    last_value, _ = _meetings_card(monkeypatch, demo_db, LAST_DAY)
    first_value, _ = _meetings_card(monkeypatch, demo_db, FIRST_DAY)
    assert (last_value, first_value) == ("98.0%", "98.0%")
    assert abs(float(first_value.rstrip("%")) - float(last_value.rstrip("%"))) <= 0.5
    # The Monday after the month began, against the month's last day: nothing but the calendar and
    # 12-01's meetings (+0.005 points) changed, so the card reads unchanged.
    monday_value, monday_delta = _meetings_card(monkeypatch, demo_db, NEXT_MONDAY)
    assert (monday_value, monday_delta) == ("98.0%", "与上周持平")
