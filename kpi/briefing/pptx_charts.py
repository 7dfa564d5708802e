"""Native PowerPoint charts (python-pptx chart objects, data embedded in the file) from `ChartSpec`s:
value labels on every bar, the target in the title, bars coloured by status, the slide font."""
from __future__ import annotations

from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
from pptx.util import Inches, Pt

from kpi.briefing.model import ChartSpec
from kpi.briefing.pptx_fonts import name_faces, set_chart_font

CHART_FONT_PT = 11
TITLE_FONT_PT = 13
_TYPES = {"bar": XL_CHART_TYPE.BAR_CLUSTERED, "column": XL_CHART_TYPE.COLUMN_CLUSTERED}


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def add_chart(slide, spec: ChartSpec, left: float, top: float, width: float, height: float, name: str):
    """Draw `spec` as an editable chart in the box (inches); returns the graphic frame."""
    data = CategoryChartData(number_format=spec.number_format)
    data.categories = spec.categories
    for series in spec.series:
        data.add_series(series.name, series.values, number_format=spec.number_format)
    frame = slide.shapes.add_chart(_TYPES[spec.kind], Inches(left), Inches(top), Inches(width), Inches(height), data)
    frame.name = name
    chart = frame.chart
    set_chart_font(chart, Pt(CHART_FONT_PT))
    chart.has_title = True
    title = chart.chart_title.text_frame
    title.text = spec.title
    for run in title.paragraphs[0].runs:
        run.font.size = Pt(TITLE_FONT_PT)
        run.font.bold = True
        name_faces(run._r.get_or_add_rPr())
    chart.has_legend = len(spec.series) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format = spec.number_format
    labels.number_format_is_linked = False
    labels.position = XL_LABEL_POSITION.OUTSIDE_END
    labels.font.size = Pt(CHART_FONT_PT)
    name_faces(labels.font._rPr)
    value_axis = chart.value_axis
    value_axis.has_major_gridlines = False
    value_axis.minimum_scale = 0
    value_axis.tick_labels.font.size = Pt(CHART_FONT_PT - 1)
    value_axis.tick_labels.number_format = spec.number_format
    value_axis.tick_labels.number_format_is_linked = False
    category_axis = chart.category_axis
    category_axis.tick_labels.font.size = Pt(CHART_FONT_PT)
    for axis in (value_axis, category_axis):
        name_faces(axis.tick_labels.font._rPr)
    if spec.kind == "bar":
        category_axis.reverse_order = True   # first category on top, as in the app
    for plot_series, series in zip(plot.series, spec.series):
        if series.colours is None:
            continue
        for i, colour in enumerate(series.colours):
            fill = plot_series.points[i].format.fill
            fill.solid()
            fill.fore_color.rgb = _rgb(colour)
        if len(set(series.colours)) == 1 and series.colours:
            plot_series.format.fill.solid()
            plot_series.format.fill.fore_color.rgb = _rgb(series.colours[0])
    return frame
