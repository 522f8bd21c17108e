"""Trainers' decisions written into the NLU data: in place, once, and never a held-out sentence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from handoff.nlu_data import InvalidIntent, NluData

ROOT = Path(__file__).resolve().parents[2]
FA = """version: "3.1"
# Persian examples; comments like this one stay where they are
nlu:
- intent: greet
  examples: |
    - سلام
    - درود
# orders
- intent: check_order_status
  examples: |
    - سفارشم کجاست
"""
HELD_OUT = """version: "3.1"
nlu:
- intent: check_order_status
  examples: |
    - بسته من کی میرسه
"""


@pytest.fixture
def data(tmp_path: Path) -> NluData:
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "data" / "nlu" / "fa.yml").write_text(FA)
    shutil.copy(ROOT / "data" / "nlu" / "ar.yml", tmp_path / "data" / "nlu" / "ar.yml")
    shutil.copy(ROOT / "domain.yml", tmp_path / "domain.yml")
    shutil.copy(ROOT / "config.yml", tmp_path / "config.yml")
    (tmp_path / "tests" / "nlu_holdout" / "2026-12").mkdir(parents=True)
    (tmp_path / "tests" / "nlu_holdout" / "2026-12" / "fa.yml").write_text(HELD_OUT)
    return NluData(tmp_path)


def test_examples_join_their_intent_and_the_rest_of_the_file_stays(data: NluData) -> None:
    written = data.add("fa", "check_order_status", ["سفارش  ۵۸۲۳۱ \n من کو؟"])
    assert written.added == ["سفارش ۵۸۲۳۱ من کو؟"]
    assert data.path("fa").read_text() == FA + "    - سفارش ۵۸۲۳۱ من کو؟\n"
    assert "+    - سفارش ۵۸۲۳۱ من کو؟" in written.diff
    assert written.diff.startswith("--- a/data/nlu/fa.yml\n+++ b/data/nlu/fa.yml")


def test_every_other_file_is_left_byte_for_byte(data: NluData) -> None:
    arabic, domain = data.path("ar").read_text(), data.domain.read_text()
    data.add("ar", "greet", ["يا هلا والله بالربع"])
    after = data.path("ar").read_text()
    assert after != arabic
    assert [line for line in after.splitlines() if line not in arabic.splitlines()] == [
        "    - يا هلا والله بالربع"]
    assert data.domain.read_text() == domain


def test_what_the_data_has_in_any_language_is_not_written_twice(data: NluData) -> None:
    # Arabic yeh and kaf, Arabic-Indic digits, case and punctuation do not make a message new
    written = data.add("fa", "greet", ["سلام!", "مرحبا", "درود"])
    assert written.already_there == ["سلام!", "مرحبا", "درود"]
    assert written.added == []
    assert data.path("fa").read_text() == FA
    twice = data.add("fa", "check_order_status", ["سفارشم كجاست؟", "وضعیت سفارش ۱۲۳۴۵",
                                                   "وضعیت سفارش 12345"])
    assert twice.already_there == ["سفارشم كجاست؟", "وضعیت سفارش 12345"]
    assert twice.added == ["وضعیت سفارش ۱۲۳۴۵"]


def test_a_held_out_sentence_is_refused(data: NluData) -> None:
    written = data.add("fa", "check_order_status", ["بسته من کی میرسه؟", "بسته‌ام نرسیده"])
    assert written.held_out == ["بسته من کی میرسه؟"]
    assert written.added == ["بسته‌ام نرسیده"]
    assert "بسته من کی میرسه" not in data.path("fa").read_text()


def test_a_new_intent_joins_the_nlu_file_and_the_domain(data: NluData) -> None:
    written = data.add("fa", "ask_loyalty_points", ["امتیاز باشگاه مشتریانم چقدره؟"])
    assert written.new_intent
    assert data.path("fa").read_text().endswith(
        "- intent: ask_loyalty_points\n  examples: |\n    - امتیاز باشگاه مشتریانم چقدره؟\n")
    assert "ask_loyalty_points" in data.intents()
    assert "+- ask_loyalty_points" in written.diff


@pytest.mark.parametrize("name", ["Greet", "greet me", "nlu_fallback", "x", "سلام", "a" * 65])
def test_names_rasa_would_not_take_are_refused(data: NluData, name: str) -> None:
    with pytest.raises(InvalidIntent):
        data.add("fa", name, ["چیزی"])
    assert data.path("fa").read_text() == FA


def test_text_rasa_would_misread_is_left_out(data: NluData) -> None:
    written = data.add("fa", "greet", ["[سلام](greeting)", "   ", "س" * 501])
    assert written.unusable == ["[سلام](greeting)", "   ", "س" * 501]
    assert data.path("fa").read_text() == FA


def test_validation_is_rasas_own_and_reports_a_broken_file(data: NluData) -> None:
    data.path("fa").write_text(FA + "- intent greet_without_colon\n  examples: [\n")
    result = data.validate()
    assert not result.ok
    assert "fa.yml" in result.output
    assert "\x1b[" not in result.output
