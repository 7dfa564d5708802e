"""The seven datasets of the data model: columns, Chinese headers, English aliases, types, keys.

The importer, the templates, the exports and the demo generator all read this one table,
so a column is described exactly once. Values of enumerations are stored in Chinese.
"""
from __future__ import annotations

from dataclasses import dataclass

ORG_TYPES = ("党委", "党总支", "党支部")
SECRETARY_RATINGS = ("好", "较好", "一般", "差")
MEETING_TYPES = ("支部党员大会", "支部委员会会议", "党小组会", "党课", "主题党日",
                 "组织生活会", "民主评议党员", "谈心谈话")
PROBLEM_SOURCES = ("巡察", "审计", "督查", "专项检查", "主题教育", "上级反馈", "自查")
SEVERITIES = ("一般", "较重", "严重")
PROBLEM_STATUSES = ("未启动", "整改中", "已完成待验收", "已销号")
CLOSED_STATUS = "已销号"
SUPERVISION_KINDS = ("巡察", "督查", "调研", "观摩比查", "专项核查", "述职评议", "联系点活动")


@dataclass(frozen=True)
class Column:
    """One column: `name` is the column's English name in the data model (the store's column and the export's
    header), `header` the Chinese template header.

    kind: text | code (a unit code) | int | number | money (万元, ≥ 0) | pct (percent points,
    0–100; Excel's 0.1 for 10% is read as 10) | score (0–100) | date | year | period (YYYY-MM)
    | enum (one of `choices`) | bool.
    `required`: the column must be in the file and, unless `blank_ok`, every row must fill it.
    """

    name: str
    header: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    aliases: tuple[str, ...] = ()
    blank_ok: bool = False


@dataclass(frozen=True)
class Dataset:
    """A dataset: its table, its columns in template order, and its natural key."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _unit(required: bool = True, header: str = "单位编码") -> Column:
    return Column("unit_code", header, "code", required, aliases=("单位代码", "组织编码", "单位"))


UNITS = Dataset("units", (
    Column("unit_code", "单位编码", "text", True, aliases=("单位代码", "组织编码")),
    Column("unit_name", "单位名称", "text", True, aliases=("组织名称", "名称")),
    Column("parent_code", "上级单位编码", "text", aliases=("上级编码", "上级单位代码")),
    Column("level", "层级", "int", True, min_value=1, max_value=4, aliases=("级别",)),
    Column("org_type", "组织类型", "enum", True, choices=ORG_TYPES),
    Column("member_count", "党员数", "int", min_value=0, aliases=("党员人数",)),
    Column("staff_count", "职工数", "int", min_value=0, aliases=("职工人数", "员工数")),
    Column("founded_date", "成立日期", "date", aliases=("成立时间",)),
), key=("unit_code",))

ANNUAL = Dataset("annual", (
    Column("year", "年度", "year", True, aliases=("年份",)),
    _unit(),
    # A payroll not known (empty) or 0 still loads the row: the unit's funds ratio reads 未报送
    # (kpi.metrics.annual, reason no_payroll) while its other figures count.
    Column("payroll_prev_year", "上年度职工工资总额（万元）", "money", True,
           aliases=("上年度职工工资总额", "上年度工资总额（万元）", "上年度工资总额"), blank_ok=True),
    Column("fund_budget", "党组织工作经费预算（万元）", "money", True,
           aliases=("党组织工作经费预算", "党建工作经费预算（万元）", "经费预算（万元）", "经费预算")),
    Column("fund_spent", "党组织工作经费实际支出（万元）", "money",
           aliases=("党组织工作经费实际支出", "经费实际支出（万元）", "经费支出", "实际支出")),
    Column("assessment_weight_pct", "党建考核权重（%）", "pct",
           aliases=("党建考核权重", "考核权重（%）", "考核权重")),
    Column("assessment_score", "党建考核得分", "score", aliases=("考核得分",)),
    Column("secretary_rating", "书记述职评议等次", "enum", choices=SECRETARY_RATINGS,
           aliases=("述职评议等次", "评议等次")),
    Column("party_staff", "专职党务工作人员数", "int", min_value=0,
           aliases=("专职党务工作人员", "专职党务人员数")),
), key=("year", "unit_code"))

MEETINGS = Dataset("meetings", (
    _unit(),
    Column("meeting_type", "会议类型", "enum", True, choices=MEETING_TYPES, aliases=("类型", "会议")),
    Column("date", "日期", "date", True, aliases=("会议日期", "召开日期", "时间")),
    Column("expected", "应到人数", "int", min_value=0, aliases=("应到",)),
    Column("attended", "实到人数", "int", min_value=0, aliases=("实到",)),
    Column("topic", "主题", "text", aliases=("会议主题", "内容")),
), key=("unit_code", "meeting_type", "date"))

PROBLEMS = Dataset("problems", (
    Column("problem_id", "问题编号", "text", True, aliases=("编号", "序号")),
    _unit(header="单位编码"),
    Column("source", "问题来源", "enum", True, choices=PROBLEM_SOURCES, aliases=("来源",)),
    Column("found_date", "发现日期", "date", True, aliases=("发现时间",)),
    Column("category", "问题类别", "text", aliases=("类别", "问题类型")),
    Column("description", "问题描述", "text", True, aliases=("问题内容", "描述")),
    Column("severity", "严重程度", "enum", choices=SEVERITIES, aliases=("问题等级",)),
    Column("owner", "责任人", "text", aliases=("整改责任人",)),
    Column("measures", "整改措施", "text"),
    Column("due_date", "整改时限", "date", True, aliases=("整改期限", "完成时限")),
    Column("status", "整改状态", "enum", True, choices=PROBLEM_STATUSES, aliases=("状态",)),
    Column("completed_date", "完成日期", "date", aliases=("整改完成日期",)),
    Column("closed_date", "销号日期", "date", aliases=("销号时间",)),
), key=("problem_id",))

SUPERVISION = Dataset("supervision", (
    Column("activity_id", "编号", "text", True, aliases=("活动编号", "序号")),
    _unit(header="被检查单位编码"),
    Column("kind", "方式", "enum", True, choices=SUPERVISION_KINDS, aliases=("督查方式", "类型")),
    Column("start_date", "开始日期", "date", True, aliases=("开始时间",)),
    Column("end_date", "结束日期", "date", aliases=("结束时间",)),
    Column("lead", "牵头领导或部门", "text", aliases=("牵头领导", "牵头部门")),
    Column("findings", "发现问题数", "int", min_value=0, aliases=("问题数",)),
), key=("activity_id",))

_BASICS = (("basic_org", "基本组织"), ("basic_team", "基本队伍"), ("basic_activity", "基本活动"),
           ("basic_role", "基本作用"), ("basic_system", "基本制度"), ("basic_support", "基本保障"))

RATINGS = Dataset("ratings", (
    Column("year", "年度", "year", True, aliases=("年份",)),
    _unit(),
    Column("stars", "星级", "int", True, min_value=1, max_value=5),
    *(Column(name, header, "score") for name, header in _BASICS),
    Column("compliant", "是否达标", "bool", aliases=("达标",)),
), key=("year", "unit_code"))

INDICATORS = Dataset("indicators", (
    _unit(),
    Column("period", "期间", "period", True, aliases=("月份", "期间（年月）")),
    Column("indicator_code", "指标编码", "text", True, aliases=("指标代码",)),
    Column("value", "数值", "number", True, aliases=("值", "指标值")),
), key=("unit_code", "period", "indicator_code"))

DATASETS: dict[str, Dataset] = {d.name: d for d in
                                (UNITS, ANNUAL, MEETINGS, PROBLEMS, SUPERVISION, RATINGS, INDICATORS)}
BASIC_COLUMNS = tuple(name for name, _ in _BASICS)


def get_dataset(name: str) -> Dataset:
    """The dataset called `name` (KeyError names the valid ones)."""
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; one of {', '.join(DATASETS)}") from None
