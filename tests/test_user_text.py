"""User text is text everywhere (issue 12, item 3): the Markdown escape, the Plotly escape, the page
helpers built on them, and every page of the app on a store whose user text is hostile (AppTest).
The browser test of the same store is tests/test_e2e_user_text.py."""
from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from kpi.charts import theme
from kpi.charts.rule_bars import HoverField, rule_bars
from kpi.display.textsafe import WORD_JOINER, markdown_text, plotly_text, plotly_value
from kpi.importing.commit import UndoLaterFirst
from kpi.importing.errors import CellError
from pages import _ui
from pages._ui import PAGES, md, refusal, selected_unit, tr_md
from tests.fixtures.apptest_helpers import chart_spec, signed_in
from tests.fixtures.user_text_fixture import DISPLAY_NAME, FILE_NAME, NAMES, TOPIC, make_hostile_store

J = WORD_JOINER


@pytest.mark.parametrize(("typed", "markdown"), [
    ("[x](https://e.cn/a)", f"\\[x\\]\\(https\\:{J}\\/\\/e\\.cn\\/a\\)"),
    ("![](http://e/x.png)", f"\\!\\[\\]\\(http\\:{J}\\/\\/e\\/x\\.png\\)"),
    ("见 http://e.cn 与 https://e.cn/b", f"见 http\\:{J}\\/\\/e\\.cn 与 https\\:{J}\\/\\/e\\.cn\\/b"),
    ("www.e.cn WWW.E.CN", f"www{J}\\.e\\.cn WWW{J}\\.E\\.CN"),
    ("a@b.cn mailto:c@d.cn", f"a\\@{J}b\\.cn mailto\\:{J}c\\@{J}d\\.cn"),
    ("$x^2$ $$y$$", "\\$x\\^2\\$ \\$\\$y\\$\\$"),
    ('<img src="http://e/i.png" onerror=alert(1)>',
     f'\\<img src\\=\\"http\\:{J}\\/\\/e\\/i\\.png\\" onerror\\=alert\\(1\\)\\>'),
    ("<a href='x'>y</a> &lt; &#60;", "\\<a href\\=\\'x\\'\\>y\\<\\/a\\> \\&lt\\; \\&\\#60\\;"),
    ("`code` ``c``", "\\`code\\` \\`\\`c\\`\\`"),
    ("*em* **strong** ***both***", "\\*em\\* \\*\\*strong\\*\\* \\*\\*\\*both\\*\\*\\*"),
    ("_em_ __strong__ snake_case", "\\_em\\_ \\_\\_strong\\_\\_ snake\\_case"),
    ("~~del~~ # h 1. a - b + c > q | t |", "\\~\\~del\\~\\~ \\# h 1\\. a \\- b \\+ c \\> q \\| t \\|"),
    (":red[x] :material/home: :smile:", f"\\:{J}red\\[x\\] \\:{J}material\\/home\\:{J} \\:{J}smile\\:{J}"),
    ("C:\\temp\\{a}", f"C\\:{J}\\\\temp\\\\\\{{a\\}}"),
    ("示范电力有限公司（哈密分公司）“一支部”，二〇二五年。", "示范电力有限公司（哈密分公司）“一支部”，二〇二五年。"),
    (12.5, "12\\.5"),
])
def test_markdown_text_escapes_every_markdown_form_and_breaks_autolinks(typed, markdown):
    assert markdown_text(typed) == markdown
    assert md(typed) == markdown


def test_markdown_text_reads_as_typed_once_rendered():
    # What CommonMark shows: each backslash before ASCII punctuation disappears; the joiner is invisible.
    typed = "二级![徽标](http://evil.example/s.png)$x^2$ a@b.cn www.e.cn"
    shown = markdown_text(typed).replace(J, "")
    assert re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", shown) == typed


@pytest.mark.parametrize(("typed", "plotly"), [
    ('<a href="https://e.cn/">x</a>', '&lt;a href="https://e.cn/"&gt;x&lt;/a&gt;'),
    ("甲<sup>2</sup><br><b>乙</b>", "甲&lt;sup&gt;2&lt;/sup&gt;&lt;br&gt;&lt;b&gt;乙&lt;/b&gt;"),
    ("A&B &amp; &#60;", "A&amp;B &amp;amp; &amp;#60;"),
    ("%{customdata[0]} 50% %d", "&#37;{customdata[0]} 50% %d"),
    ("$x^2$", "&#36;x^2&#36;"),
    ("[x](https://e.cn) *a* _b_", "[x](https://e.cn) *a* _b_"),  # Plotly renders no Markdown
    ("示范电力有限公司（哈密分公司）", "示范电力有限公司（哈密分公司）"),
])
def test_plotly_text_escapes_html_placeholders_and_formulas(typed, plotly):
    assert plotly_text(typed) == plotly
    assert theme.text(typed) == plotly
    assert plotly_value(plotly) == typed


def test_theme_escapes_title_subtitle_rule_labels_and_frames():
    fig = theme.styled(go.Figure(), "标题 <b>x</b>", "截至 2026-11-21 · " + NAMES["G01"])
    assert fig.layout.title.text == ("标题 &lt;b&gt;x&lt;/b&gt;<br><sup>截至 2026-11-21 · "
                                     "二级![徽标](http://evil.example/s.png)&#36;x^2&#36;</sup>")
    theme.rule_line(fig, 1.0, "<a href='https://e.cn'>1%</a>")
    assert fig.layout.annotations[0].text == "&lt;a href='https://e.cn'&gt;1%&lt;/a&gt;"
    frame = pd.DataFrame({"unit_name": ["<b>甲</b>", None], "n": [1, 2]})
    name, missing = theme.escaped(frame, "unit_name").unit_name
    assert name == "&lt;b&gt;甲&lt;/b&gt;" and pd.isna(missing)  # a missing name stays missing
    assert frame.unit_name[0] == "<b>甲</b>"  # the caller's frame is left alone


def test_rule_bars_draw_unit_names_and_codes_as_text_and_a_click_reads_the_code_back():
    df = pd.DataFrame({"unit_name": [NAMES["G0101"], "乙"], "unit_code": ["<X&1>", "B"],
                       "value": [1.5, None], "meets": [True, None]})
    fig = rule_bars(df, "value", "meets", 1.0, "1%", "标题", "副标题", "轴", [HoverField("值", "value")], "zh")
    bars, missing = fig.data
    assert bars.y == (plotly_text(NAMES["G0101"]),)
    assert bars.customdata[0][:2] == [plotly_text(NAMES["G0101"]), "&lt;X&amp;1&gt;"]
    assert missing.y == ("乙",)
    assert list(fig.layout.yaxis.categoryarray) == ["乙", plotly_text(NAMES["G0101"])]
    point = {"curve_number": 0, "point_index": 0, "customdata": list(bars.customdata[0])}
    assert selected_unit({"selection": {"points": [point]}}, unit_customdata=1) == "<X&1>"


def test_translations_escape_their_parameters_not_their_own_text():
    file = "[f](https://e.cn)"
    escaped = f"\\[f\\]\\(https\\:{J}\\/\\/e\\.cn\\)"
    assert tr_md("history.confirm", batch_id=8, file=file, rows=3) == \
        f"确认撤销批次 #8（{escaped}）？该批次写入的 3 行将被撤回，被它覆盖的数据将恢复原值。"
    assert _ui.tr("history.choice", batch_id=8, file=file, dataset="组织架构", when="2026-11-21 10:00") == \
        "#8 组织架构 · [f](https://e.cn) · 2026-11-21 10:00"  # selectbox options show plain text


def test_refusals_escape_the_user_values_they_quote():
    # A translated refusal: its parameters are escaped, its own text ('#', '（') is not.
    refused = UndoLaterFirst(later=3, file="*三月*.csv", batch_id=2)
    assert refusal(refused) == "只能撤销该数据集最近的一次上传：请先撤销批次 #3（\\*三月\\*\\.csv），再撤销批次 #2。"
    # A cell error is composed of plain sentences around the cell's text: escaped whole.
    error = CellError(5, "单位编码", "[x](http://e.cn)", "required")
    assert refusal(error) == md(error.message("zh"))
    assert f"\\[x\\]\\(http\\:{J}\\/\\/e\\.cn\\)" in refusal(error)


# Where Streamlit renders Markdown: what each element type calls its text in AppTest.
MARKDOWN_SINKS = {"title": "value", "header": "value", "subheader": "value", "markdown": "value",
                  "caption": "value", "info": "value", "warning": "value", "error": "value",
                  "success": "value", "button": "label", "metric": "label", "expander": "label",
                  "checkbox": "label", "radio": "label", "selectbox": "label"}
HOSTILE = [*NAMES.values(), FILE_NAME, DISPLAY_NAME]
# The theme's own markup: anything else in a chart's text is an unescaped tag.
THEME_TAGS = ("<br>", "<sup>", "</sup>", "<b>", "</b>", "<extra>", "</extra>")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _raw_markup(text: str) -> bool:
    for tag in THEME_TAGS:
        text = text.replace(tag, "")
    return "<" in text or "$" in text


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("user_text") / "store.duckdb"
    make_hostile_store(path)
    return path


@pytest.mark.slow
def test_every_page_shows_hostile_user_text_escaped(hostile_db, monkeypatch):
    monkeypatch.setenv("DJ_DB", str(hostile_db))
    at = signed_in(AppTest.from_file("../app.py", default_timeout=120), username="admin")
    at.session_state["scope"] = "G01"
    at.run()
    raw_in_markdown, raw_in_charts, escaped_in_charts, topic_hovers = [], [], 0, 0
    for file, *_ in PAGES:
        at.switch_page(f"pages/{file}").run()
        if file == "history.py":  # the undo confirmation names the batch's file
            at.button(key="history_undo").click().run()
            assert any(md(FILE_NAME) in w.value for w in at.warning)
        assert not at.exception, file
        for kind, attribute in MARKDOWN_SINKS.items():
            texts = [str(getattr(element, attribute)) for element in at.get(kind)]
            raw_in_markdown += [(file, kind, text) for text in texts if any(h in text for h in HOSTILE)]
        for element in at.get("plotly_chart"):
            strings = list(_strings(chart_spec(element)))
            raw_in_charts += [(file, s) for s in strings if "evil.example" in s and _raw_markup(s)]
            escaped_in_charts += sum("&lt;a href=" in s or "&#36;x^2&#36;" in s for s in strings)
            topic_hovers += sum(plotly_text(TOPIC) in s for s in strings)
    assert raw_in_markdown == []
    assert raw_in_charts == []
    assert escaped_in_charts > 20 and topic_hovers == 1  # the hostile texts are in the charts, as text
