"""The data behind each chart of the briefing preview, as shown and downloaded on the page: column
names, enumerations and rules in the UI language (the slides' native charts keep the raw data)."""
from __future__ import annotations

import pandas as pd

from kpi.display.overview import flag_table
from kpi.display.tables import labelled

# The page area whose column names each briefing section's data shares.
_AREAS = {"funds": "funds", "meetings": "meetings", "problems": "rectification", "coverage": "coverage"}


def section_data(key: str, data: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Section `key`'s data (kpi.briefing Section.data) labelled for `lang`; the red flags as the
    cockpit's flag table shows them."""
    if key == "flags":
        return labelled(flag_table(data, lang), "overview", lang)
    return labelled(data, _AREAS.get(key, key), lang)
