"""The translation layer: every user-facing string, Simplified Chinese by default, English complete.

Messages live in `kpi/messages/<area>.toml`, one table per message with both languages side
by side, so a missing translation is visible in review and fails `tests/test_i18n.py`:

    [upload.commit_done]          # key "upload.commit_done" when it sits in messages/upload.toml
    zh = "已写入 {n} 行"
    en = "{n} rows written"
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
MESSAGES_DIR = Path(__file__).resolve().parent / "messages"


def _flatten(prefix: str, table: dict, out: dict[str, dict[str, str]]) -> None:
    if "zh" in table or "en" in table:
        out[prefix] = {lang: table[lang] for lang in table if lang in LANGUAGES}
        return
    for name, value in table.items():
        if isinstance(value, dict):
            _flatten(f"{prefix}.{name}", value, out)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Every message key → {language: text}, read from messages/*.toml."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(MESSAGES_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            _flatten(path.stem, tomllib.load(fh), out)
    return out


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """The message `key` in `lang`, with `{name}` placeholders filled from `params`.

    An unknown key raises KeyError: a missing string is a bug, never shown as a raw key.
    """
    texts = catalogue()[key]
    text = texts.get(lang) or texts[DEFAULT_LANGUAGE]
    return text.format(**params) if params else text


def has(key: str) -> bool:
    """True when `key` is a message."""
    return key in catalogue()


def enum_label(value: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Display label of a stored Chinese enumeration value (e.g. 已销号 → Closed out)."""
    key = f"enums.{value}"
    return t(key, lang) if has(key) else value


def measured(value: str, unit: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """`value` with a stored unit of measure in `lang`: '90%', '5篇' / '5 articles'."""
    if unit == "%":
        return f"{value}%"
    return t("indicators.value_unit", lang, value=value, unit=enum_label(unit, lang))


class TranslatedError(Exception):
    """A refusal whose text is the message `{prefix}{key}` (filled from `params`), in any language;
    str() is the English text (logs, tracebacks).

    One subclass per failure: a family base (AuthError, BatchRefused…) sets `prefix`, each failure
    class under it sets `key` and takes the message's parameters, so callers catch the class they
    mean and never compare keys. A base without `key` is never raised itself (tests/test_error_family.py).
    """

    prefix = ""
    key = ""
    # True when message() composes several messages (not the one key filled from `params`): a Markdown
    # sink then escapes the composed text whole instead of each parameter (pages/_ui refusal).
    composed = False

    def __init__(self, **params: object):
        self.params = params
        super().__init__(self.message("en"))  # after `params`: a subclass's message() may need more

    @property
    def message_key(self) -> str:
        """The full message key of this refusal in kpi/messages/."""
        return f"{self.prefix}{self.key}"

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return t(self.message_key, lang, **self.params)
