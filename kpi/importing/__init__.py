"""Data intake: read CSV/XLSX as analysts really make them, validate, preview, commit, undo.

    parse.py      bytes → ParsedUpload (decode, find header, map columns, normalise, validate)
    scope.py      the uploader's data scope on every row a write touches (check_upload_scope)
    commit.py     diff against the store, commit as one batch, undo a batch
    edit.py       a problem's status edit, saved as a one-row batch through the same commit path
    templates.py  one XLSX template per dataset
    xlsx_guard.py a workbook's ZIP, sheets and strings checked against limits before parsing
    xlsx_child.py every workbook opened only in a child process with a memory and time limit
"""
