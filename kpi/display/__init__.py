"""What a reader sees: numbers in short form (formats), user text made safe for Markdown and Plotly
(textsafe), tables as the CSV / XLSX files people download (exports).
"""
