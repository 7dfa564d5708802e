"""Who may do what: roles, permissions and the data scope of an account (roles), the accounts
themselves with their passwords and sign-in limits (accounts), and the audit log (audit).

Knows no page file and no importer type: which page a role opens is the UI's map, and an upload's
rows are checked by kpi.importing.scope.
"""
