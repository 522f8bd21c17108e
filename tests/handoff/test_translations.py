"""Every text of the widget and the console exists in en, fa, ar and he, with the same keys and
placeholders, and a text with a count has exactly the plural forms its language needs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from common.plurals import CATEGORIES
from common.protocol import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "handoff" / "web"
PAGES = ("widget", "console")
CLDR = {"zero", "one", "two", "few", "many", "other"}


def texts(page: str, language: str) -> dict[str, Any]:
    return json.loads((WEB / page / "i18n" / f"{language}.json").read_text(encoding="utf-8"))


def flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested groups (`errors`) become dotted keys; plural forms stay one entry."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        plural = isinstance(value, dict) and "other" in value and set(value) <= CLDR
        if isinstance(value, dict) and not plural:
            out |= flat(value, f"{prefix}{key}.")
        else:
            out[prefix + key] = value
    return out


def placeholders(value: Any) -> set[str]:
    forms = value.values() if isinstance(value, dict) else [value]
    return {name for form in forms for name in re.findall(r"\{(\w+)\}", str(form))}


@pytest.mark.parametrize("page", PAGES)
def test_every_language_has_the_same_keys_and_placeholders(page: str) -> None:
    english = flat(texts(page, "en"))
    for language in LANGUAGES:
        other = flat(texts(page, language))
        assert other.keys() == english.keys(), language
        for key, value in other.items():
            assert isinstance(value, str | dict) and value, (language, key)
            # a plural form may spell a small count out ("دقيقتين"), never name another value
            expected = placeholders(english[key])
            found = placeholders(value)
            assert found <= expected and placeholders(
                value["other"] if isinstance(value, dict) else value) == expected, (language, key)


@pytest.mark.parametrize("page", PAGES)
def test_texts_with_a_count_have_the_plural_forms_of_their_language(page: str) -> None:
    for language in LANGUAGES:
        for key, value in flat(texts(page, language)).items():
            if isinstance(value, dict):
                assert tuple(value) == CATEGORIES[language], (language, key)
    assert any(isinstance(v, dict) for v in flat(texts("widget", "ar")).values())


@pytest.mark.parametrize("script", ["widget/widget.js", "console/i18n.js"])
def test_the_pages_load_the_languages_of_common_protocol(script: str) -> None:
    """The pages cannot import Python: their one list of languages must be this one."""
    source = (WEB / script).read_text(encoding="utf-8")
    listed = re.search(r"const LANGUAGES = \[([^\]]*)\]", source)
    assert listed and tuple(re.findall(r'"(\w+)"', listed.group(1))) == LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_console_names_every_slot_intent_and_form_of_the_bot(language: str) -> None:
    """Agents read the bot's details in their own language, not its identifiers."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    names = texts("console", language)
    assert set(domain["slots"]) | {"order_numbers"} <= set(names["slotNames"])
    assert set(domain["intents"]) | {"nlu_fallback"} <= set(names["intentNames"])
    assert set(domain["forms"]) <= set(names["formNames"])
    labels = [*names["slotNames"].values(), *names["intentNames"].values(),
              *names["formNames"].values()]
    assert all(label.strip() for label in labels)
    if language != "en":  # in the language's own script
        assert not any(re.search("[A-Za-z]", label) for label in labels), language
