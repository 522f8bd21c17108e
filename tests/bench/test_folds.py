"""Cross-validation's folds (bench/nlu_cv.py, tools/cross_validation.py): every example is
tested exactly once, never trained on in its own fold, and the shared files go to every fold."""

from __future__ import annotations

from pathlib import Path

from bench.nlu_cv import examples, write_fold

DATA = {"fa": {"greet": ["سلام", "درود", "سلام علیکم"], "goodbye": ["خداحافظ", "بدرود"]},
        "en": {"greet": ["hi", "hello"], "goodbye": ["bye"]}}


def test_each_example_is_tested_once_and_trained_on_in_the_other_folds(tmp_path: Path) -> None:
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "patterns.yml").write_text('version: "3.1"\nnlu: []\n')
    tested = []
    for fold in range(2):
        train = tmp_path / f"train{fold}"
        held = write_fold(DATA, 2, fold, tmp_path / "nlu", train)
        tested += held
        assert (train / "patterns.yml").exists()
        for language, intent, text in held:
            assert text not in examples(train / f"{language}.yml").get(intent, [])
        trained = {(language, intent, text) for language in DATA
                   for intent, texts in examples(train / f"{language}.yml").items()
                   for text in texts}
        assert trained | set(held) == {(language, intent, text)
                                       for language, intents in DATA.items()
                                       for intent, texts in intents.items() for text in texts}
    assert sorted(tested) == sorted({(language, intent, text)
                                     for language, intents in DATA.items()
                                     for intent, texts in intents.items() for text in texts})
