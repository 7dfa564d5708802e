"""Write the seven upload templates to data/templates/<dataset>.xlsx (Chinese notes).

    python scripts/make_templates.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kpi.config import DATA_DIR  # noqa: E402
from kpi.datasets import DATASETS  # noqa: E402
from kpi.importing.templates import template_xlsx  # noqa: E402
from kpi.rules import load_rules  # noqa: E402


def main() -> None:
    folder = DATA_DIR / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    rules = load_rules()
    for dataset in DATASETS:
        path = folder / f"{dataset}.xlsx"
        path.write_bytes(template_xlsx(dataset, "zh", rules))
        print(path.relative_to(DATA_DIR.parent))


if __name__ == "__main__":
    main()
