"""One error family: every user-facing refusal is a subclass of kpi.i18n.TranslatedError, one class per
failure, each naming its message key (in both languages) and raised somewhere; callers catch by class
and never compare message keys. The tests that each failure raises its class live with the feature
(test_auth, test_actions, test_writes, test_import_commit, test_rules, test_briefing, test_cli_errors…);
the few not covered there are here.
"""
from __future__ import annotations

import ast
import importlib
import pkgutil
import shutil
from pathlib import Path

import pytest

import kpi
from kpi.briefing import fonts
from kpi.cli import common
from kpi.i18n import LANGUAGES, TranslatedError, catalogue
from kpi.metrics import profile

ROOT = Path(__file__).resolve().parent.parent


def _all_kpi_modules() -> None:
    """Import every module of kpi/ so that every TranslatedError subclass is defined."""
    for info in pkgutil.walk_packages(kpi.__path__, "kpi."):
        if info.name not in ("kpi.__main__",):
            importlib.import_module(info.name)


def _family() -> list[type[TranslatedError]]:
    _all_kpi_modules()
    out, todo = [], [TranslatedError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("kpi."):
                out.append(sub)
                todo.append(sub)
    return sorted(set(out), key=lambda c: (c.__module__, c.__name__))


def _failures() -> list[type[TranslatedError]]:
    """The classes that name a failure (a message key); the others are family bases (AuthError…)."""
    return [cls for cls in _family() if cls.key]


def _keys(cls: type[TranslatedError]) -> list[str]:
    """The message keys a failure class may show: its own, or for OutputUnwritable one per reason."""
    if cls is common.OutputUnwritable:
        return [key for key in catalogue() if key.startswith("cli.out_unwritable.")]
    return [f"{cls.prefix}{cls.key}"]


def _python_files() -> list[Path]:
    return [p for folder in ("kpi", "pages") for p in sorted((ROOT / folder).rglob("*.py"))] + [ROOT / "app.py"]


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _raised_names() -> set[str]:
    """Every class name kpi/ raises: `raise X(...)`, `raise X`, a refusal class built by a call and
    raised later (`return X(...)`), and the classes of a refusal table (`_OPEN_FAILURES`, a loop's tuple)."""
    names: set[str] = set()
    for path in (ROOT / "kpi").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                names.add(_name(target) or "")
            elif isinstance(node, ast.Call):
                names.add(_name(node.func) or "")
            elif isinstance(node, ast.Tuple):  # a table of refusal classes
                names.update(_name(e) or "" for e in node.elts)
    return names


def test_every_refusal_class_is_a_translated_error_with_both_languages():
    failures = _failures()
    assert len(failures) >= 40  # the family as built in issue 13; it only grows
    texts = catalogue()
    missing = [(cls.__name__, key, lang) for cls in failures for key in _keys(cls)
               for lang in LANGUAGES if not texts.get(key, {}).get(lang)]
    assert missing == []
    # One class per failure: no two classes show the same message (a subclass that keeps its parent's
    # key refines that failure, e.g. RulesFileMissing of RulesError).
    owners: dict[str, str] = {}
    shared = []
    for cls in (cls for cls in failures if "key" in vars(cls)):
        for key in _keys(cls):
            if key in owners:
                shared.append((owners[key], cls.__name__, key))
            owners[key] = cls.__name__
    assert shared == []


def test_every_refusal_class_is_raised_somewhere_and_every_family_base_has_failures():
    raised = _raised_names()
    assert sorted(cls.__name__ for cls in _failures() if cls.__name__ not in raised) == []
    bases = [cls for cls in _family() if not cls.key]
    assert sorted(cls.__name__ for cls in bases if not cls.__subclasses__()) == []
    # A family base is never raised itself: a caller could not tell which failure it names.
    for path in (ROOT / "kpi").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                assert _name(node.exc.func) not in {cls.__name__ for cls in bases} | {"TranslatedError"}, path


def _key_comparisons(source: str) -> list[int]:
    """Lines of `source` that compare a caught error's `.key` (==, !=, in, .startswith…)."""
    lines = []
    for handler in ast.walk(ast.parse(source)):
        if not isinstance(handler, ast.ExceptHandler) or handler.name is None:
            continue
        for node in ast.walk(handler):
            key_reads = [n for n in ast.walk(node) if isinstance(n, ast.Attribute) and n.attr == "key"
                         and isinstance(n.value, ast.Name) and n.value.id == handler.name]
            if not key_reads:
                continue
            if isinstance(node, ast.Compare) or (isinstance(node, ast.Call) and _name(node.func) in (
                    "startswith", "endswith")) or isinstance(node, ast.Match):
                lines.append(node.lineno)
    return sorted(set(lines))


def test_the_key_comparison_check_finds_one():
    source = ("try:\n    f()\nexcept E as exc:\n    if exc.key != 'same_file':\n        raise\n"
              "try:\n    f()\nexcept E as err:\n    ok = err.key.startswith('x')\n"
              "try:\n    f()\nexcept E as err:\n    record(err.key)\n")
    assert _key_comparisons(source) == [4, 9]


def test_no_caller_compares_message_keys():
    found = {str(path.relative_to(ROOT)): lines for path in _python_files()
             if (lines := _key_comparisons(path.read_text(encoding="utf-8")))}
    assert found == {}


def test_unknown_unit_of_the_profile_is_a_translated_error(tmp_path):
    from kpi import store  # noqa: PLC0415

    opened = store.open_store(tmp_path / "s.duckdb")
    try:
        with pytest.raises(profile.UnknownUnit) as refused:
            profile.unit_info(opened.cursor(), "NOPE")
    finally:
        opened.close()
    assert isinstance(refused.value, LookupError)
    assert refused.value.message("zh") == "组织架构中没有单位编码“NOPE”，请检查编码或重新上传组织架构。"
    assert str(refused.value) == refused.value.message("en")


def test_no_fontconfig_is_font_missing(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    fonts.matched_face.cache_clear()
    try:
        with pytest.raises(fonts.FontMissingError) as refused:
            fonts.cjk_face()
    finally:
        fonts.matched_face.cache_clear()
    assert refused.value.message("en") == ("No CJK font (Noto Sans CJK SC) is installed, so Chinese would print "
                                           "as boxes. Run scripts/setup.sh to install it, then try again.")


# The failures that no feature test names by class (their messages are asserted there, e.g. through
# the command line in test_cli_errors): each raised by the failure it names.

@pytest.fixture
def con(tmp_path):
    from kpi import store  # noqa: PLC0415

    opened = store.open_store(tmp_path / "s.duckdb")
    yield opened.cursor()
    opened.close()


def test_unknown_account_and_unknown_problem(con, rules):
    from kpi.access import accounts, roles  # noqa: PLC0415

    with pytest.raises(accounts.UnknownAccount) as refused:
        accounts.delete_account(con, "nobody", by=None)
    assert refused.value.message("zh") == "账号“nobody”不存在。"
    with pytest.raises(roles.UnknownProblem) as refused:
        roles.check_problem_editable(con, roles.Account("ana", "", roles.ANALYST, None), "P404")
    assert refused.value.message("en") == "Problem “P404” does not exist."


def test_sign_ins_of_everyone_together_are_limited(con, rules):
    import dataclasses  # noqa: PLC0415

    from kpi.access import accounts  # noqa: PLC0415

    tight = dataclasses.replace(rules, sign_in_global=2)
    for client in ("10.0.0.1", "10.0.0.2"):
        with pytest.raises(accounts.BadCredentials):
            accounts.authenticate(con, tight, "nobody", "guess", client=client)
    with pytest.raises(accounts.TooManyAttemptsGlobal) as refused:
        accounts.authenticate(con, tight, "nobody", "guess", client="10.0.0.3")
    assert refused.value.reason == "too_many_attempts_global"


def test_the_command_line_refuses_a_missing_store_a_non_store_and_an_unwritable_output(tmp_path):
    with pytest.raises(common.StoreMissing) as missing, common.opened_store(tmp_path / "typo.duckdb"):
        pass
    assert missing.value.params == {"path": str(tmp_path / "typo.duckdb")}
    assert not (tmp_path / "typo.duckdb").exists()
    text = tmp_path / "notes.txt"
    text.write_text("not a database", encoding="utf-8")
    with pytest.raises(common.NotAStore), common.opened_store(text):
        pass
    with pytest.raises(common.OutputUnwritable) as unwritable:
        common.write_output(text / "out.pdf", b"%PDF")
    assert unwritable.value.message_key == "cli.out_unwritable.not_a_directory"


def test_no_password_to_read(monkeypatch):
    import io  # noqa: PLC0415

    from kpi.cli import admin  # noqa: PLC0415

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(admin.NoPassword) as refused:
        admin.read_password(True, "en")
    assert refused.value.params == {"env": "DJ_ADMIN_PASSWORD"}


def test_a_composed_refusal_is_shown_whole_and_escaped_on_a_page():
    # UnitsInUse lists units and batches through messages of their own: a page shows its whole text
    # (before, only the bare template with empty lists), escaped as a whole.
    from kpi.importing.commit import UnitsBound  # noqa: PLC0415
    from pages._ui.context import md, refusal  # noqa: PLC0415

    refused = UnitsBound(2, ["G*1"], accounts=["an_a"])
    assert refused.message("zh") == "批次 #2 新增的单位 G*1 仍绑定着账号 an_a，请先为这些账号改绑单位。"
    assert refusal(refused) == md(refused.message("zh"))
    assert "G\\*1" in refusal(refused)
