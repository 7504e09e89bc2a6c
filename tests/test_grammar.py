"""The bundled grammar corpus: size, determinism, and consistency checked on the text alone."""

from __future__ import annotations

import re
import unicodedata

import pytest

from ignite_gen.data.grammar import GRAMMAR_VERSION, grammar_pairs
from ignite_gen.errors import UserError

PAIRS = grammar_pairs()
SINGULAR = ("He", "She", "The teacher", "My father", "My mother", "My friend", "The cat", "The dog")
PLURAL = ("I", "You", "We", "They", "The students")
JA_PAST = re.compile(r"(ました|でした|かった)")
TIME_WORDS = {
    "yesterday": "昨日",
    "tomorrow": "明日",
    "today": "今日",
    "every day": "毎日",
    "every morning": "毎朝",
    "last week": "先週",
    "next week": "来週",
}


def _verb_after(english: str, subject: str) -> str:
    return english[len(subject) :].split()[0]


def test_version_is_a_nonempty_string():
    assert isinstance(GRAMMAR_VERSION, str) and GRAMMAR_VERSION


def test_size_and_no_duplicates():
    assert len(PAIRS) >= 5000
    assert len(set(PAIRS)) == len(PAIRS)
    # each Japanese sentence has exactly one English translation
    assert len({ja for ja, _ in PAIRS}) == len(PAIRS)


def test_same_seed_same_list_other_seed_other_order():
    assert grammar_pairs(200, seed=3) == grammar_pairs(200, seed=3)
    assert grammar_pairs(200, seed=3) != grammar_pairs(200, seed=4)
    assert grammar_pairs(seed=1) != PAIRS and sorted(grammar_pairs(seed=1)) == sorted(PAIRS)
    assert grammar_pairs(50, seed=7) == grammar_pairs(100, seed=7)[:50]
    assert grammar_pairs(0) == []


@pytest.mark.parametrize("n", [-1, len(PAIRS) + 1])
def test_impossible_n_is_a_user_error(n):
    with pytest.raises(UserError, match="distinct pairs"):
        grammar_pairs(n)


def test_coverage_of_forms():
    english = [en for _, en in PAIRS]
    japanese = [ja for ja, _ in PAIRS]
    assert sum(en.endswith("?") for en in english) > 1000
    assert sum(" not " in en for en in english) > 1000
    assert sum(" will " in f" {en} " for en in english) > 1000
    assert sum(ja.endswith("ました。") for ja in japanese) > 1000
    assert sum("好き" in ja for ja in japanese) > 100
    assert sum(en.startswith(("This ", "Is this ")) for en in english) > 100
    for subject in SINGULAR + PLURAL:
        assert any(en.startswith(subject + " ") for en in english), subject
    for word in ("私は", "あなたは", "彼は", "彼女は", "私たちは", "彼らは", "先生は", "猫は"):
        assert any(ja.startswith(word) for ja in japanese), word


def test_surface_form():
    for ja, en in PAIRS:
        assert en[0].isupper() and en[-1] in ".?" and "  " not in en, en
        assert not re.search(r"\ba [aeiou]", en) and not re.search(r"\ban [^aeiou]", en), en
        assert ja.endswith("。") and " " not in ja, ja
        assert unicodedata.normalize("NFKC", ja) == ja, ja


def test_questions_match():
    for ja, en in PAIRS:
        assert en.endswith("?") == ja.endswith("か。"), (ja, en)
        auxiliary = en.split()[0] in ("Do", "Does", "Did", "Will", "Is", "Was")
        assert en.endswith("?") == auxiliary, (ja, en)


def test_did_questions_are_past_and_do_questions_are_not():
    for ja, en in PAIRS:
        if en.startswith("Did "):
            assert re.search(r"(ました|でした)か。$", ja), (ja, en)
        if en.startswith(("Do ", "Does ")):
            assert re.search(r"(ます|です)か。$", ja), (ja, en)


def test_does_takes_a_singular_subject_and_do_a_plural_one():
    for _, en in PAIRS:
        if en.startswith("Does "):
            assert en[5:].capitalize().startswith(SINGULAR), en
        if en.startswith("Do "):
            assert en[3:].capitalize().startswith(PLURAL), en


def test_negation_matches_both_ways():
    for ja, en in PAIRS:
        assert (" not " in en) == bool(re.search(r"(ません|ない|なかった)", ja)), (ja, en)


def test_time_words_match_both_ways():
    for ja, en in PAIRS:
        for english, japanese in TIME_WORDS.items():
            assert (english in en) == (japanese in ja), (ja, en, english)


def test_tense_agrees_with_time_words():
    for ja, en in PAIRS:
        if "yesterday" in en or "last week" in en:
            assert JA_PAST.search(ja), (ja, en)
        if "tomorrow" in en or "next week" in en:
            assert " will " in f" {en.lower()} " and not JA_PAST.search(ja), (ja, en)
        if " will " in f" {en.lower()} ":
            assert re.search(r"(明日|来週|今日)", ja) and not JA_PAST.search(ja), (ja, en)
        if JA_PAST.search(ja):
            assert not re.search(r"\b(will|do|does|Will|Do|Does)\b", en), (ja, en)


def _present_affirmative_statements(subjects):
    starts = tuple(s + " " for s in subjects)
    for ja, en in PAIRS:
        if JA_PAST.search(ja) or not en.endswith(".") or " not " in en or " will " in en:
            continue
        if en.startswith(starts):
            yield en, next(s for s in subjects if en.startswith(s + " "))


def test_third_person_singular_present_takes_s():
    checked = 0
    for en, subject in _present_affirmative_statements(SINGULAR):
        assert _verb_after(en, subject).endswith("s"), en
        checked += 1
    assert checked > 500


def test_other_subjects_present_take_no_s():
    checked = 0
    for en, subject in _present_affirmative_statements(PLURAL):
        assert not _verb_after(en, subject).endswith("s"), en
        checked += 1
    assert checked > 500


def test_every_japanese_sentence_tokenizes_with_mecab():
    MeCab = pytest.importorskip("MeCab")
    try:
        tagger = MeCab.Tagger("-Owakati")
    except RuntimeError as error:  # the package without a dictionary
        pytest.skip(f"MeCab has no dictionary: {error}")
    for ja, _ in PAIRS:
        tokens = tagger.parse(ja).split()
        assert len(tokens) >= 3 and "".join(tokens) == ja, ja
        assert tokens[-1] == "。", ja
        for word in TIME_WORDS.values():  # 今日本 would split as 今 日本
            assert (word in ja) == (word in tokens), (ja, tokens)
