"""Shared helpers for AppTest-based tests."""
from __future__ import annotations

import base64
import json

import numpy as np


def decoded(value):
    """Plotly 7 sends numeric arrays as base64 typed arrays; turn them back into lists."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return array.tolist()
    if isinstance(value, dict):
        return {k: decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decoded(v) for v in value]
    return value


def chart_spec(element) -> dict:
    """The plotly figure of an AppTest `plotly_chart` element, arrays decoded."""
    return decoded(json.loads(element.proto.spec))


TEST_PASSWORD = "test-password-1"
ROLE_SLUGS = {"领导": "leader", "分析员": "analyst", "管理员": "admin"}


def signed_in(at, role: str = "管理员", unit_code: str | None = None, username: str | None = None):
    """`at` (before its next run) signed in as an account of `role` bound to `unit_code` (None: the
    whole store), created once in the store named by $DJ_DB / --db. Session state lives on the
    server, so this is what a successful sign-in leaves behind — not something a browser can set."""
    from kpi import config, store  # noqa: PLC0415
    from kpi.access import accounts  # noqa: PLC0415
    from kpi.rules import load_rules  # noqa: PLC0415

    username = username or f"t_{ROLE_SLUGS[role]}_{unit_code or 'all'}"
    opened = store.open_store(config.db_path())
    try:
        con = opened.cursor()
        if accounts.get_account(con, username) is None:
            accounts.create_account(con, load_rules(), username, TEST_PASSWORD, role, unit_code, by=None)
    finally:
        opened.close()
    at.session_state["auth_user"] = username
    return at
