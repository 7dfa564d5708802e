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
