"""The translation layer: both languages complete, every key used in code exists."""
import re
import string
from pathlib import Path

import pandas as pd
import pytest

from kpi.display.tables import labelled
from kpi.i18n import LANGUAGES, catalogue, enum_label, measured, t

ROOT = Path(__file__).resolve().parent.parent
# t("key", ...), tr("key", ...), _ui.tr("key"), _ui.tr_md("key"): literal keys only; f-string keys are
# built from keys checked here or by the modules' own tests.
KEY_USE = re.compile(r"""\b(?:t|tr|tr_md)\(\s*["']([a-z_]+\.[A-Za-z0-9_.\u4e00-\u9fff]+)["']""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_both_languages():
    missing = [(key, lang) for key, texts in catalogue().items() for lang in LANGUAGES
               if not texts.get(lang, "").strip()]
    assert missing == []


def test_placeholders_agree_between_languages():
    differ = {key: (_placeholders(v["zh"]), _placeholders(v["en"])) for key, v in catalogue().items()
              if _placeholders(v["zh"]) != _placeholders(v["en"])}
    assert differ == {}


def _sources():
    for folder in ("kpi", "pages"):
        yield from (ROOT / folder).rglob("*.py")
    yield ROOT / "app.py"


def test_every_key_used_in_code_exists():
    used = {(path.relative_to(ROOT).as_posix(), key) for path in _sources()
            for key in KEY_USE.findall(path.read_text(encoding="utf-8"))}
    assert used, "the scan found no key at all: the pattern is broken"
    unknown = sorted((path, key) for path, key in used if key not in catalogue())
    assert unknown == []


def test_unknown_key_is_an_error_not_a_raw_key():
    with pytest.raises(KeyError):
        t("common.no_such_message")


def test_lookup_and_format():
    assert t("common.subtitle", "zh", as_of="2026-11-21", scope="全集团") == "截至 2026-11-21 · 全集团"
    assert t("common.subtitle", "en", as_of="2026-11-21", scope="Whole group") == "As of 2026-11-21 · Whole group"
    assert enum_label("已完成待验收", "en") == "Done, awaiting verification"
    assert enum_label("已完成待验收", "zh") == "已完成待验收"
    assert enum_label("未知值", "en") == "未知值"


def test_tables_show_stored_enumerations_in_the_ui_language():
    frame = pd.DataFrame({"meeting_type": ["支部党员大会", "自定义会议"], "every": ["quarter", "month"],
                          "measure_unit": ["人", "%"], "unit_name": ["巡察组甲", "乙"]})
    en = labelled(frame, "meetings", "en")
    assert en["Meeting type"].tolist() == ["Branch general meeting", "自定义会议"]  # unknown values as stored
    assert en["Frequency"].tolist() == ["quarterly", "monthly"]
    assert en["measure_unit"].tolist() == ["persons", "%"]
    zh = labelled(frame, "meetings", "zh")
    assert zh["会议类型"].tolist() == ["支部党员大会", "自定义会议"] and zh["频次"].tolist() == ["每季度", "每月"]
    assert frame["every"].tolist() == ["quarter", "month"]  # the caller's frame is left as it was


def test_values_with_a_stored_unit_of_measure():
    assert measured("5", "篇", "zh") == "5篇"
    assert measured("5", "篇", "en") == "5 articles"
    assert measured("90", "%", "en") == "90%"


def test_tables_word_the_rules_identifiers():
    basics = labelled(pd.DataFrame({"basic": ["basic_org", "basic_team"]}), "ratings", "zh")
    assert basics.iloc[:, 0].tolist() == [t("ratings.basic.basic_org"), t("ratings.basic.basic_team")]
    assert basics.iloc[:, 0].tolist()[0] != "basic_org"
