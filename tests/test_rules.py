"""The rules file: its documented defaults, validation with messages naming the key."""
import datetime as dt
import tomllib

import pytest

from kpi.config import DEFAULT_RULES_PATH
from kpi.rules import MeetingRule, RulesError, RulesFileMissing, RulesNotToml, load_rules, rules_from_dict


def _defaults() -> dict:
    with DEFAULT_RULES_PATH.open("rb") as fh:
        return tomllib.load(fh)


def test_defaults_match_domain_rules():
    rules = load_rules(DEFAULT_RULES_PATH)
    assert rules.funds_min_ratio_pct == 1.0
    assert rules.assessment_min_weight_pct == 10.0
    assert rules.party_staff_min_ratio_pct == 1.0
    assert rules.meeting_rules == (
        MeetingRule("支部党员大会", "quarter", 1), MeetingRule("支部委员会会议", "month", 1),
        MeetingRule("党小组会", "month", 1), MeetingRule("党课", "quarter", 1),
        MeetingRule("主题党日", "month", 1), MeetingRule("组织生活会", "year", 1),
        MeetingRule("民主评议党员", "year", 1))
    assert rules.standardisation_target_pct == 95.0
    assert rules.theory_min_coverage_pct == 98.0
    assert (rules.inspection_cycle_years, rules.inspection_kinds, rules.inspection_levels) == (3, ("巡察",), (2, 3))
    assert (rules.supervision_kinds, rules.supervision_levels) == (("督查", "调研"), (2,))
    assert rules.max_file_mb == 50
    assert [i.code for i in rules.indicators if i.pipeline_stage] == [
        "applicants", "activists", "development_targets", "probationary_members", "full_members"]


def test_inspection_cycle_windows():
    rules = load_rules(DEFAULT_RULES_PATH)
    assert rules.inspection_cycle(dt.date(2026, 11, 21)) == (dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    assert rules.inspection_cycle(dt.date(2027, 1, 1)) == (dt.date(2027, 1, 1), dt.date(2029, 12, 31))
    assert rules.inspection_cycle(dt.date(2020, 5, 1)) == (dt.date(2024, 1, 1), dt.date(2026, 12, 31))


def _edit(path: tuple, value):
    data = _defaults()
    node = data
    for part in path[:-1]:
        node = node[part]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


@pytest.mark.parametrize(("path", "value", "zh", "en"), [
    (("funds", "min_ratio_pct"), "1%", "规则文件有误：funds.min_ratio_pct — 应为数字，实际为 1%",
     "Rules file error: funds.min_ratio_pct — must be a number, got 1%"),
    (("assessment", "min_weight_pct"), 120, "规则文件有误：assessment.min_weight_pct — 120 超出允许范围 0.01–100",
     "Rules file error: assessment.min_weight_pct — 120 is outside the allowed range 0.01–100"),
    (("funds", "min_ratio_pct"), KeyError, "规则文件有误：funds.min_ratio_pct — 缺少此项",
     "Rules file error: funds.min_ratio_pct — this key is missing"),
    (("funds", "min_ratio_pc"), 1, "规则文件有误：funds.min_ratio_pc — 未知的键（是否拼写有误？）",
     "Rules file error: funds.min_ratio_pc — unknown key (a typo?)"),
    (("inspection", "cycle_years"), 2.5, "规则文件有误：inspection.cycle_years — 应为整数，实际为 2.5",
     "Rules file error: inspection.cycle_years — must be a whole number, got 2.5"),
    (("supervision", "kinds"), ["督查", "检查"],
     "规则文件有误：supervision.kinds — “检查”不是允许的取值"
     "（巡察、督查、调研、观摩比查、专项核查、述职评议、联系点活动）",
     "Rules file error: supervision.kinds — “检查” is not one of the allowed values "
     "(巡察、督查、调研、观摩比查、专项核查、述职评议、联系点活动)"),
    (("problems", "ageing_buckets_days"), [90, 30],
     "规则文件有误：problems.ageing_buckets_days — 应为递增的正整数天数列表，实际为 [90, 30]",
     "Rules file error: problems.ageing_buckets_days — must be a list of increasing positive day counts, got [90, 30]"),
    (("indicators", "publicity_articles", "rollup"), "median",
     "规则文件有误：indicators.publicity_articles.rollup — “median”不是允许的取值（sum、mean、last）",
     "Rules file error: indicators.publicity_articles.rollup — “median” is not one of the allowed values "
     "(sum、mean、last)"),
])
def test_bad_values_are_refused_naming_the_key(path, value, zh, en):
    with pytest.raises(RulesError) as caught:
        rules_from_dict(_edit(path, value))
    assert caught.value.message("zh") == zh
    assert caught.value.message("en") == en


def test_bad_meeting_rule_names_its_position():
    data = _defaults()
    data["meetings"]["required"][1]["every"] = "week"
    with pytest.raises(RulesError) as caught:
        rules_from_dict(data)
    assert caught.value.message() == ("规则文件有误：meetings.required[2].every — “week”不是允许的取值"
                                      "（month、bimonth、quarter、half_year、year）")


def test_duplicate_meeting_type_refused():
    data = _defaults()
    data["meetings"]["required"][2]["type"] = "支部委员会会议"
    with pytest.raises(RulesError) as caught:
        rules_from_dict(data)
    assert caught.value.message() == "规则文件有误：meetings.required[3].type — 会议类型“支部委员会会议”重复定义"


def test_unparseable_file_refused(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text("[funds\nmin_ratio_pct = 1", encoding="utf-8")
    with pytest.raises(RulesNotToml) as caught:
        load_rules(bad)
    assert caught.value.setting == str(bad)
    assert caught.value.message().startswith(f"规则文件有误：{bad} — 不是有效的 TOML：")


def test_edited_rule_takes_effect(tmp_path):
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8").replace("min_weight_pct = 10.0", "min_weight_pct = 12.0")
    (tmp_path / "rules.toml").write_text(text, encoding="utf-8")
    assert load_rules(tmp_path / "rules.toml").assessment_min_weight_pct == 12.0


def test_missing_file_refused(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(RulesFileMissing) as caught:
        load_rules(missing)
    assert caught.value.setting == str(missing)
    assert caught.value.message("zh") == f"规则文件有误：{missing} — 找不到规则文件"
    assert str(caught.value) == caught.value.message("en")


def test_yearly_meetings_founding_month_is_a_validated_rule():
    # Default: a branch founded before October owes that year's 组织生活会 / 民主评议党员.
    assert load_rules(DEFAULT_RULES_PATH).meeting_yearly_founded_before_month == 10
    assert _defaults()["meetings"]["yearly_owed_if_founded_before_month"] == 10
    assert rules_from_dict(_edit(("meetings", "yearly_owed_if_founded_before_month"), 7)
                           ).meeting_yearly_founded_before_month == 7
    # Left out of an older rules file: the documented default.
    assert rules_from_dict(_edit(("meetings", "yearly_owed_if_founded_before_month"), KeyError)
                           ).meeting_yearly_founded_before_month == 10
    with pytest.raises(RulesError) as caught:
        rules_from_dict(_edit(("meetings", "yearly_owed_if_founded_before_month"), 13))
    assert caught.value.message("zh") == ("规则文件有误：meetings.yearly_owed_if_founded_before_month — "
                                          "13 超出允许范围 1–12")
    with pytest.raises(RulesError) as caught:
        rules_from_dict(_edit(("meetings", "yearly_owed_if_founded_before_month"), "10月"))
    assert caught.value.message("en") == ("Rules file error: meetings.yearly_owed_if_founded_before_month — "
                                          "must be a whole number, got 10月")


def test_briefing_list_cap_is_a_validated_rule():
    # Default: a briefing list shows at most 100 rows (its slide and the appendix).
    assert load_rules(DEFAULT_RULES_PATH).briefing_list_max_rows == 100
    assert rules_from_dict(_edit(("briefing", "list_max_rows"), 40)).briefing_list_max_rows == 40
    # Left out of an older rules file (the key, or the whole section): the documented default.
    assert rules_from_dict(_edit(("briefing", "list_max_rows"), KeyError)).briefing_list_max_rows == 100
    without = _defaults()
    del without["briefing"]
    assert rules_from_dict(without).briefing_list_max_rows == 100
    with pytest.raises(RulesError) as caught:
        rules_from_dict(_edit(("briefing", "list_max_rows"), 5))
    assert caught.value.message("zh") == "规则文件有误：briefing.list_max_rows — 5 超出允许范围 12–10000"
