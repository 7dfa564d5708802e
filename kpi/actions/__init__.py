"""Every user action in one place: each checks the permission, writes, and records its audit row in
one transaction (kpi.store.transaction; the writers it calls join it), and refuses with one named
error per failure. Pages and the command line call these, never kpi.access.audit.record or a
permission check of kpi.access.roles themselves (tests/test_layout.py keeps it so).

    data.py      upload (parse within the scope, commit), undo a batch, edit a problem, export
    session.py   sign in / failed sign-in / sign out / session expired, rules file changes
    accounts.py  create / update / disable / delete an account, the first and the CLI administrator
    demo.py      start-up of a new store, load and clear the demo (data and demo accounts together)
"""
from kpi.access.accounts import PasswordMismatch
from kpi.actions.accounts import create_account, create_admin, create_first_admin, delete_account, update_account
from kpi.actions.data import (
    can_edit_problems,
    edit_problem,
    parse_for_upload,
    record_export,
    undo,
    upload,
    upload_detail,
)
from kpi.actions.demo import (
    DemoRefused,
    DemoStoreNotEmpty,
    NotADemoStore,
    can_clear_demo,
    clear_demo,
    load_demo,
    start_store,
)
from kpi.actions.session import (
    note_rules_file,
    session_expired,
    sign_in,
    sign_out,
    signed_in,
    sso_refused,
)

__all__ = [
    "DemoRefused", "DemoStoreNotEmpty", "NotADemoStore", "PasswordMismatch", "can_clear_demo", "can_edit_problems",
    "clear_demo", "create_account", "create_admin", "create_first_admin", "delete_account", "edit_problem",
    "load_demo", "note_rules_file", "parse_for_upload", "record_export", "session_expired", "sign_in", "sign_out",
    "signed_in", "sso_refused", "start_store", "undo", "update_account", "upload", "upload_detail",
]
