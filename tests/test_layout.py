"""The layout is the architecture: what may sit at the root of kpi/, who may import whom.

The import graph is read from the source files with `ast` (nothing is imported or run): every
`import` and `from … import` of app.py, pages/ and kpi/, those inside functions included, since a
lazy import still closes a cycle when it runs.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# kpi/ root: the vocabulary every layer shares, and the packages by concern.
KPI_ROOT_MODULES = {"__init__.py", "__main__.py", "config.py", "datasets.py", "i18n.py", "org.py", "periods.py",
                    "rules.py"}
KPI_PACKAGES = {"access", "actions", "briefing", "charts", "cli", "demo", "display", "importing", "metrics", "store"}
KPI_DATA_FOLDERS = {"messages"}
# The UI helpers, each importing only those before it.
UI_ORDER = ("sitemap", "context", "session", "viewlink", "widgets", "frame")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources(root: Path = ROOT) -> dict[str, Path]:
    """Module name → source file, for app.py and every .py file under pages/ and kpi/."""
    files = [root / "app.py", *sorted((root / "pages").rglob("*.py")), *sorted((root / "kpi").rglob("*.py"))]
    return {_module_name(path, root): path for path in files if "__pycache__" not in path.parts}


def _imported(module: str, path: Path, modules: set[str]) -> set[str]:
    """The modules of `modules` that `module` imports (absolute and relative, anywhere in the file):
    `import X.Y` is X.Y; `from X import Y` is X.Y when that is a module of its own, else X."""
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            submodules = {f"{base}.{alias.name}" for alias in node.names} & modules
            names.update(submodules)
            if len(submodules) < len(node.names):  # some names are the package's own
                names.add(base)
    return (names & modules) - {module}


def _top_level_imports(path: Path) -> set[str]:
    """The top-level package of every absolute import in `path` ('streamlit' for `streamlit.testing.v1`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.partition(".")[0])
    return names


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module → the project modules it imports (imports of outside libraries dropped)."""
    sources = _sources(root)
    return {module: _imported(module, path, set(sources)) for module, path in sources.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of `graph` as [a, b, …, a], or [] when there is none."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_the_cycle_finder_lists_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_the_graph_sees_submodule_and_lazy_imports():
    graph = import_graph()
    assert "kpi.store.derived" in graph["kpi.store.state"]  # `from kpi.store import derived`
    assert "kpi.demo" in graph["kpi.actions.demo"]  # imported inside a function


def test_no_import_cycle_in_app_pages_and_kpi():
    cycle = find_cycle(import_graph())
    assert cycle == [], "import cycle: " + " -> ".join(cycle)


def test_kpi_root_holds_only_vocabulary_modules_and_packages():
    entries = {p.name for p in (ROOT / "kpi").iterdir() if p.name != "__pycache__"}
    unexpected = entries - KPI_ROOT_MODULES - KPI_PACKAGES - KPI_DATA_FOLDERS
    assert unexpected == set(), "kpi/ root holds vocabulary modules and packages only; move these into a package"
    not_packages = {name for name in KPI_PACKAGES & entries if not (ROOT / "kpi" / name / "__init__.py").exists()}
    assert not_packages == set()


def test_kpi_never_imports_streamlit():
    offenders = {module for module, path in _sources().items() if module.startswith("kpi")
                 and "streamlit" in _top_level_imports(path)}
    assert offenders == set()


def test_access_knows_no_pages_and_no_importer():
    graph = import_graph()
    reaches = {(module, name) for module, names in graph.items() if module.startswith("kpi.access")
               for name in names if name.startswith(("pages", "kpi.importing"))}
    assert reaches == set()


def test_ui_helpers_import_one_way():
    graph = import_graph()
    backwards = {(module, name) for i, module in enumerate(UI_ORDER)
                 for name in graph[f"pages._ui.{module}"]
                 if name.startswith("pages.") and name.removeprefix("pages._ui.") not in UI_ORDER[:i]}
    assert backwards == set(), "a UI helper imports only those before it: " + ", ".join(UI_ORDER)


# What only kpi.actions (and kpi.access itself) may call: audit writers and permission checks.
AUDIT_WRITERS = {"record", "note_rules_file"}
PERMISSION_MODULES = {"kpi.access.roles", "kpi.importing.scope"}


def _is_permission_check(name: str) -> bool:
    return name.startswith(("check_", "may_")) or name == "is_admin"


def actions_bypassed(source: str) -> list[str]:
    """The calls in `source` that skip kpi.actions: `audit.record` / `audit.note_rules_file`, and the
    permission checks of kpi.access.roles (check_*, may_*, is_admin) and kpi.importing.scope (check_*),
    called through the module or imported by name."""
    tree = ast.parse(source)
    imported = {alias.asname or alias.name: node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module for alias in node.names}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner, name = func.value.id, func.attr
            module = imported.get(owner, owner)
            if name in AUDIT_WRITERS and (owner == "audit" or f"{module}.{owner}" == "kpi.access.audit"):
                found.append(f"{owner}.{name}")
            elif (owner in ("roles", "scope") or f"{module}.{owner}" in PERMISSION_MODULES) \
                    and _is_permission_check(name):
                found.append(f"{owner}.{name}")
        elif isinstance(func, ast.Name):
            module = imported.get(func.id)
            if module == "kpi.access.audit" and func.id in AUDIT_WRITERS:
                found.append(func.id)
            elif module in PERMISSION_MODULES and _is_permission_check(func.id):
                found.append(func.id)
    return found


def test_the_bypass_finder_sees_module_calls_and_imported_names():
    assert actions_bypassed("from kpi.access import audit, roles\naudit.record(c, 'u', 'edit')\n"
                            "roles.check_undo_allowed(c, a, 1)\nif roles.may_upload(a): pass\n") == \
        ["audit.record", "roles.check_undo_allowed", "roles.may_upload"]
    assert actions_bypassed("from kpi.importing.scope import check_upload_scope\ncheck_upload_scope(c, a, p)\n"
                            "from kpi.access.roles import is_admin\nis_admin(a)\n") == \
        ["check_upload_scope", "is_admin"]
    assert actions_bypassed("from pages._ui.sitemap import may_open\nmay_open(a, 'x.py')\nactions.undo(c, a, 1)\n"
                            "audit.entries(c)\n") == []


def test_pages_and_the_cli_write_audit_rows_and_check_permissions_only_through_actions():
    files = [ROOT / "app.py", *(ROOT / "pages").rglob("*.py"), *(ROOT / "kpi" / "cli").rglob("*.py")]
    offenders = {str(path.relative_to(ROOT)): calls for path in files if "__pycache__" not in path.parts
                 for calls in [actions_bypassed(path.read_text(encoding="utf-8"))] if calls}
    assert offenders == {}, "call kpi.actions instead"


# Metrics return numbers; words are made in kpi.display. From the translation layer a metric module
# may take only TranslatedError (a refusal carries its message key, it is not worded until shown).
METRICS_MAY_TAKE_FROM_I18N = {"TranslatedError"}


def names_from_i18n(source: str) -> set[str]:
    """What `source` takes from kpi.i18n: the names of `from kpi.i18n import …`, and 'kpi.i18n' for a
    plain `import kpi.i18n` or `from kpi import i18n` (the whole module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "kpi.i18n":
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "kpi" and any(a.name == "i18n" for a in node.names):
            names.add("kpi.i18n")
        elif isinstance(node, ast.Import) and any(a.name == "kpi.i18n" for a in node.names):
            names.add("kpi.i18n")
    return names


def test_the_i18n_finder_sees_names_and_the_module():
    assert names_from_i18n("from kpi.i18n import enum_label, t\n") == {"enum_label", "t"}
    assert names_from_i18n("def f():\n    from kpi import i18n, org\n") == {"kpi.i18n"}
    assert names_from_i18n("import kpi.i18n\nfrom kpi.org import breadcrumb\n") == {"kpi.i18n"}


def test_metrics_return_numbers_and_leave_words_to_display():
    wording = {module: sorted(names - METRICS_MAY_TAKE_FROM_I18N) for module, path in _sources().items()
               if module.startswith("kpi.metrics")
               for names in [names_from_i18n(path.read_text(encoding="utf-8"))] if names - METRICS_MAY_TAKE_FROM_I18N}
    assert wording == {}, "word figures in kpi.display, not kpi.metrics"
    graph = import_graph()
    upward = {(module, name) for module, names in graph.items() if module.startswith("kpi.metrics")
              for name in names if name.startswith(("kpi.display", "kpi.charts"))}
    assert upward == set(), "kpi.metrics is below kpi.display and kpi.charts"


def _returns_table(node: ast.FunctionDef) -> bool:
    return node.returns is not None and any(word in ast.unparse(node.returns) for word in ("DataFrame", "Card"))


def test_the_table_finder_reads_return_annotations():
    found = [_returns_table(node) for node in ast.parse(
        "def a(df) -> pd.DataFrame: ...\ndef b(p) -> list[ProfileCard]: ...\ndef c(df) -> go.Figure: ...\n"
        "def d(df): ...\n").body]
    assert found == [True, True, False, False]


def test_charts_only_draw():
    # Tables (labelled columns, worded values) and cards are made in kpi.display; a chart module returns
    # figures (theme.escaped, which escapes text for Plotly's markup, is part of drawing).
    makers = {f"{module}.{node.name}" for module, path in _sources().items() if module.startswith("kpi.charts")
              for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
              if isinstance(node, ast.FunctionDef) and _returns_table(node)}
    assert makers == {"kpi.charts.theme.escaped"}, "make tables and cards in kpi.display"
    graph = import_graph()
    assert not {m for m, names in graph.items() if m.startswith("kpi.charts") and "kpi.display.tables" in names}
