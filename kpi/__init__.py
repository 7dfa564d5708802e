"""党建督导看板 — all logic: store, import, rules, metrics, charts, exports.

This package never imports Streamlit; `pages/` draw what it computes.
"""
