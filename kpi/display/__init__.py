"""What a reader sees, in words: kpi/metrics returns numbers, this package turns them into text, and
kpi/charts only draws. Pages call metrics → display → charts.

By kind: numbers in short form (formats), user text made safe for Markdown and Plotly (textsafe),
tables as the CSV / XLSX files people download (exports), column names in the UI language
(tables.labelled). By area: overview (card texts, red flags as sentences), profile (a unit's cards
and tables), meetings, problems, history (upload batches), audit (the log as shown).
"""
