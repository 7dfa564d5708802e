"""The weekly briefing (周报): one model, three outputs (PNG ZIP, 16:9 PPTX, PDF) with Chinese text
that renders everywhere. `content.build_briefing` fills the model from kpi/metrics; `outputs`
renders it, one browser for all chart images.
"""
