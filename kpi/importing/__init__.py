"""Data intake: read CSV/XLSX as analysts really make them, validate, preview, commit, undo.

    parse.py      bytes → ParsedUpload (decode, find header, map columns, normalise, validate)
    commit.py     diff against the store, commit as one batch, undo a batch
    templates.py  one XLSX template per dataset
"""
