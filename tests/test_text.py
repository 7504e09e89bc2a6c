"""Text pipeline: tokenizers, vocabulary, corpus readers, the split and bucketed batches."""

from __future__ import annotations

import pickle
from collections import Counter
from pathlib import Path

import pytest
import torch

from ignite_gen import UserError
from ignite_gen.data import (
    BucketLoader,
    EnglishTokenizer,
    JapaneseTokenizer,
    Vocabulary,
    detokenize_english,
    filter_pairs,
    grammar_pairs,
    read_aligned,
    read_tsv,
    split_pairs,
    tokenize_pairs,
    tokenizer_from_config,
)
from ignite_gen.data.casing import Casing
from ignite_gen.errors import ArgumentError

TATOEBA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "jpn-eng" / "jpn-eng.tsv"


@pytest.fixture(scope="module")
def japanese():
    return JapaneseTokenizer()


def test_japanese_tokenizer_splits_words(japanese):
    assert japanese("とても悲しいです。") == ["とても", "悲しい", "です", "。"]
    assert japanese("猫が好きです。") == ["猫", "が", "好き", "です", "。"]
    assert japanese("") == []


def test_japanese_tokenizer_normalises_full_width(japanese):
    # Full-width letters, digits and punctuation become their ASCII forms under NFKC.
    assert japanese("ＡＢＣは１２３です！") == japanese("ABCは123です!")
    assert "!" in japanese("すごい！") and "！" not in japanese("すごい！")


def test_japanese_tokenizer_survives_pickle_and_config(japanese):
    japanese("猫です。")  # start the tagger, which must not travel
    clone = pickle.loads(pickle.dumps(japanese))
    assert clone._tagger is None and clone("猫です。") == japanese("猫です。")
    config = japanese.config()
    assert all(isinstance(v, str | None) for v in config.values())
    rebuilt = tokenizer_from_config(config)
    assert isinstance(rebuilt, JapaneseTokenizer) and rebuilt("猫です。") == ["猫", "です", "。"]
    assert isinstance(tokenizer_from_config(EnglishTokenizer().config()), EnglishTokenizer)
    with pytest.raises(UserError, match="unknown tokenizer"):
        tokenizer_from_config({"name": "klingon"})


def test_missing_mecab_dictionary_says_what_to_install(tmp_path):
    tokenizer = JapaneseTokenizer(dicdir=str(tmp_path / "no-dictionary"))
    with pytest.raises(UserError) as error:
        tokenizer("猫です。")
    message = str(error.value)
    assert "pip install unidic-lite" in message and "\n" not in message


def test_english_tokenizer_words_and_punctuation():
    english = EnglishTokenizer()
    assert english("I don't know, Tom.") == ["i", "don't", "know", ",", "tom", "."]
    assert english("Is it 3.5 km? It's well-known!") == [
        "is",
        "it",
        "3.5",
        "km",
        "?",
        "it's",
        "well-known",
        "!",
    ]
    # NFKC and curly quotes: full-width letters and ’ become ASCII.
    assert english("ＨＥＬＬＯ，I’m here．") == ["hello", ",", "i'm", "here", "."]


@pytest.mark.parametrize(
    "sentence",
    [
        "I don't like rainy days.",
        "Where did you put the red box?",
        'She said, "we\'ll see."',
        "The meeting starts at 6:30, doesn't it?",
        "I'm sure (fairly sure) that it works!",
    ],
)
def test_english_round_trip(sentence):
    assert detokenize_english(EnglishTokenizer()(sentence)) == sentence


def test_detokenize_capitalises_and_attaches():
    assert detokenize_english(["i", "think", "i'm", "late", "."]) == "I think I'm late."
    assert detokenize_english(["hello", ",", "world", "!"]) == "Hello, world!"
    assert detokenize_english([]) == ""


@pytest.mark.parametrize(
    ("tokens", "text"),
    [
        ("yes . you're right .", "Yes. You're right."),
        ('" are you a teacher ? " " yes , i am . "', '"Are you a teacher?" "Yes, I am."'),
        ("hurry up ! everyone's waiting .", "Hurry up! Everyone's waiting."),
        ("3 dogs came . 2 left .", "3 dogs came. 2 left."),  # a number starts the sentence
        ("he left at 6:00 p . m . today", "He left at 6:00 p. m. today"),  # abbreviation
    ],
)
def test_detokenize_capitalises_every_sentence(tokens, text):
    assert detokenize_english(tokens.split()) == text


def test_cased_tokens_are_the_lower_cased_ones_as_written():
    english = EnglishTokenizer()
    text = "ＨＥＬＬＯ, I’m Tom from Japan."
    assert english.cased(text) == ["HELLO", ",", "I'm", "Tom", "from", "Japan", "."]
    assert [token.lower() for token in english.cased(text)] == english(text)


def test_casing_takes_the_form_words_have_inside_sentences():
    english = EnglishTokenizer()
    sentences = [
        "I saw Tom in the station.",
        "Tom went to Japan. Is Japan big?",  # "Is" starts the second sentence
        "It is big, and so is Tokyo.",
        'He said, "Go to Tokyo."',  # "Go" starts the quotation
        "Let's go.",
        "It's iOS, not IOS, and iOS again.",
        "Wow! Kyoto!",
    ]
    casing = Casing.learn(english.cased(s) for s in sentences)
    # "is" and "go" are lower-case inside sentences, whatever their capitals at the start;
    # words seen only at the start of sentences keep the form they have there.
    assert casing.forms == {
        "tom": "Tom",
        "japan": "Japan",
        "tokyo": "Tokyo",
        "ios": "iOS",
        "i": "I",
        "it": "It",
        "he": "He",
        "let's": "Let's",
        "it's": "It's",
        "wow": "Wow",
        "kyoto": "Kyoto",
    }
    assert casing(["is", "tom", "in", "kyoto", "or", "japan", "?"]) == [
        "is",
        "Tom",
        "in",
        "Kyoto",
        "or",
        "Japan",
        "?",
    ]
    # A tie goes to the lower-case form, whatever the order of the sentences.
    assert Casing.learn([["a", "Rose", "a", "rose"]]).forms == {}
    assert Casing.learn([["a", "rose", "a", "Rose"]]).forms == {}


def test_casing_state_is_plain_and_round_trips(tmp_path):
    casing = Casing.learn([["I", "met", "Tom", "in", "Tokyo", "."]])
    torch.save({"casing": casing.state_dict()}, tmp_path / "c.pt")
    loaded = torch.load(tmp_path / "c.pt", weights_only=True)["casing"]
    assert (
        Casing.from_state_dict(loaded).forms
        == casing.forms
        == {
            "i": "I",
            "tom": "Tom",
            "tokyo": "Tokyo",
        }
    )


def test_detokenize_with_the_training_datas_casing():
    casing = Casing({"tom": "Tom", "japan": "Japan", "tokyo": "Tokyo", "i": "I"})
    assert detokenize_english(["i", "saw", "tom", "in", "the", "station", "."], casing) == (
        "I saw Tom in the station."
    )
    assert detokenize_english(["i", "want", "to", "go", "to", "japan", "."], casing) == (
        "I want to go to Japan."
    )
    # Without one (snapshots from before casing was recorded) words stay lower-case.
    assert detokenize_english(["i", "saw", "tom", "."]) == "I saw tom."


def test_casing_of_the_grammar_corpus():
    english = EnglishTokenizer()
    casing = Casing.learn(english.cased(t) for _, t in grammar_pairs(seed=0))
    assert casing.forms == {
        "i": "I",
        "tokyo": "Tokyo",
        "japanese": "Japanese",
        "english": "English",
        "tv": "TV",
        "we": "We",  # only ever at the start of a sentence in this grammar
    }
    tokens = english("Do you study japanese and watch tv in tokyo?")
    assert detokenize_english(tokens, casing) == "Do you study Japanese and watch TV in Tokyo?"


def test_vocabulary_specials_min_freq_and_ties():
    sentences = [["b", "a", "e"], ["a", "b", "d"], ["a", "c"]]  # c, d, e tie, seen e first
    vocab = Vocabulary.build(sentences, min_freq=2)
    assert vocab.itos == ["<pad>", "<sos>", "<eos>", "<unk>", "a", "b"]
    # All counted once: ties broken alphabetically after the more frequent ones.
    vocab = Vocabulary.build(sentences)
    assert vocab.itos[4:] == ["a", "b", "c", "d", "e"] and len(vocab) == 9
    assert len(Vocabulary.build(sentences, max_size=6)) == 6
    assert Vocabulary.build(sentences, max_size=6).itos[4:] == ["a", "b"]
    with pytest.raises(ValueError):
        Vocabulary.build(sentences, max_size=3)


def test_vocabulary_encode_decode_unknown():
    vocab = Vocabulary.build([["the", "cat", "sat"]])
    ids = vocab.encode(["the", "dog", "sat"], add_sos=True)
    assert ids[0] == 1 and ids[-1] == 2 and ids[2] == 3
    assert vocab.encode(["cat"], add_eos=False) == [vocab.stoi["cat"]]
    assert vocab.decode(ids) == ["the", "<unk>", "sat"]
    assert vocab.decode([*ids, 0, 0], strip_specials=False)[-3:] == ["<eos>", "<pad>", "<pad>"]
    assert vocab.decode([vocab.stoi["cat"], 2, vocab.stoi["sat"]]) == ["cat"]


def test_vocabulary_encode_cuts_long_sentences_before_the_end_marker():
    vocab = Vocabulary.build([["the", "cat", "sat"]])
    the, cat, sat = (vocab.stoi[t] for t in ("the", "cat", "sat"))
    assert vocab.encode(["the", "cat", "sat"], max_len=2) == [the, cat, 2]
    assert vocab.encode(["the", "cat", "sat"], add_sos=True, max_len=3) == [1, the, cat, sat, 2]
    assert vocab.encode(["the"], max_len=2) == [the, 2]
    with pytest.raises(ArgumentError, match="max_len must be at least 1, got 0"):
        vocab.encode(["the"], max_len=0)


def test_vocabulary_state_is_plain_and_round_trips(tmp_path):
    vocab = Vocabulary.build([["猫", "が", "いる"], ["犬", "が", "いる"]])
    state = vocab.state_dict()
    torch.save({"vocab": state}, tmp_path / "v.pt")
    loaded = torch.load(tmp_path / "v.pt", weights_only=True)["vocab"]
    again = Vocabulary.from_state_dict(loaded)
    assert again.itos == vocab.itos and again.encode(["犬"]) == vocab.encode(["犬"])


def test_read_tsv(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("Good night.\tおやすみ。\tCC-BY note\nThank you.\tありがとう。\n\n")
    assert read_tsv(path) == [("おやすみ。", "Good night."), ("ありがとう。", "Thank you.")]


def test_read_tsv_errors_name_file_and_line(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("Good night.\tおやすみ。\nno tab on this line\n")
    with pytest.raises(UserError, match=rf"^{path}:2: no tab"):
        read_tsv(path)
    path.write_bytes("Good night.\tおやすみ。\nOK.\tいい。\n".encode() + b"Bad.\t\xff\xfe\n")
    with pytest.raises(UserError, match=rf"^{path}:3: not UTF-8"):
        read_tsv(path)
    path.write_text("Good night.\t \n")
    with pytest.raises(UserError, match=rf"^{path}:1: empty Japanese field"):
        read_tsv(path)
    with pytest.raises(UserError, match="no such file"):
        read_tsv(tmp_path / "absent.tsv")


def test_read_aligned(tmp_path):
    src, tgt = tmp_path / "jpn.txt", tmp_path / "eng.txt"
    src.write_text("おはよう。\r\nさようなら。\r\n")
    tgt.write_text("Good morning.\nGoodbye.\n")
    assert read_aligned(src, tgt) == [("おはよう。", "Good morning."), ("さようなら。", "Goodbye.")]
    tgt.write_text("Good morning.\nGoodbye.\nExtra.\n")
    with pytest.raises(UserError) as error:
        read_aligned(src, tgt)
    message = str(error.value)
    assert f"{src} has 2 lines" in message and f"{tgt} has 3" in message
    tgt.write_bytes(b"Good morning.\nGood\xc3bye.\n")
    with pytest.raises(UserError, match=rf"^{tgt}:2: not UTF-8"):
        read_aligned(src, tgt)
    tgt.write_text("Good morning.\n\n")
    with pytest.raises(UserError, match=rf"^{tgt}:2: empty line"):
        read_aligned(src, tgt)


def test_filter_pairs_empty_result_is_a_user_error():
    pairs = [("長い長い文です。", "a rather long sentence indeed .")]
    tokens = tokenize_pairs(pairs, str.split, str.split)
    assert filter_pairs(tokens, max_len=6) == tokens
    with pytest.raises(UserError, match="no sentence pairs left after filtering"):
        filter_pairs(tokens, max_len=3)


def _synthetic_pairs(n=2000):
    # Every source appears three times with different targets.
    return [(f"文{i % (n // 3)}", f"sentence {i}") for i in range(n)]


def test_split_is_deterministic_and_keeps_sources_together():
    pairs = _synthetic_pairs()
    train, valid, test = split_pairs(pairs, valid=0.1, test=0.1, seed=3)
    assert (train, valid, test) == split_pairs(pairs, valid=0.1, test=0.1, seed=3)
    assert split_pairs(pairs, valid=0.1, test=0.1, seed=4) != (train, valid, test)
    assert sorted(train + valid + test) == sorted(pairs)
    sources = [{s for s, _ in split} for split in (train, valid, test)]
    assert not (sources[0] & sources[1] or sources[0] & sources[2] or sources[1] & sources[2])
    assert 100 < len(valid) < 300 and 100 < len(test) < 300


def test_split_of_tatoeba_keeps_identical_sources_together():
    if not TATOEBA.exists():
        pytest.skip(f"{TATOEBA} is absent")
    pairs = read_tsv(TATOEBA)
    assert len(pairs) > 40_000
    repeated = [s for s, n in Counter(s for s, _ in pairs).items() if n > 1]
    assert repeated  # the property below is not vacuous
    train, valid, test = split_pairs(pairs)
    sources = [{s for s, _ in split} for split in (train, valid, test)]
    assert not (sources[0] & sources[1] or sources[0] & sources[2] or sources[1] & sources[2])
    assert 0.04 < len(valid) / len(pairs) < 0.06 and 0.04 < len(test) / len(pairs) < 0.06


def _encoded(n=203, seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, 15, (n, 2), generator=g).tolist()
    # Pair i holds token 4 + i everywhere, so every row says which pair it came from.
    return [([4 + i] * s, [4 + i] * t) for i, (s, t) in enumerate(lengths)]


def test_bucket_loader_covers_every_pair_once_with_zero_padding():
    pairs = _encoded()
    loader = BucketLoader(pairs, batch_size=16, seed=1, pool=4)
    for _ in range(2):
        seen = []
        batches = list(loader)
        assert len(batches) == len(loader) == 13
        for src, lengths, tgt in batches:
            assert src.dtype == tgt.dtype == lengths.dtype == torch.long
            target_lengths = (tgt != 0).sum(1).tolist()
            assert target_lengths == sorted(target_lengths, reverse=True)
            assert src.shape[1] == lengths.max()
            mask = torch.arange(src.shape[1]) < lengths[:, None]
            assert torch.equal(src != 0, mask)
            for row in range(len(src)):
                i = int(src[row, 0]) - 4
                seen.append(i)
                assert torch.equal(
                    src[row], torch.tensor(pairs[i][0] + [0] * (src.shape[1] - lengths[row]))
                )
                assert tgt[row].tolist() == pairs[i][1] + [0] * (tgt.shape[1] - len(pairs[i][1]))
        assert sorted(seen) == list(range(len(pairs)))
    assert loader.epoch == 2


def test_bucket_loader_groups_similar_lengths_and_reshuffles():
    pairs = _encoded(800)
    loader = BucketLoader(pairs, batch_size=20, seed=0)
    first = [b[0][:, 0].tolist() for b in loader]
    second = [b[0][:, 0].tolist() for b in loader]
    assert first != second
    targets = [(b[2] != 0).sum(1) for b in BucketLoader(pairs, batch_size=20)]
    spread = sum(int(lengths.max() - lengths.min()) for lengths in targets)
    assert spread / 40 < 2  # random batches of 1..14 would spread about 12
    again = [b[0][:, 0].tolist() for b in BucketLoader(pairs, batch_size=20, seed=0)]
    assert again == first


def test_bucket_loader_resumes_mid_epoch_exactly():
    pairs = _encoded()
    reference = BucketLoader(pairs, batch_size=16, seed=5, pool=3)
    expected = [b for _ in range(2) for b in reference]
    loader = BucketLoader(pairs, batch_size=16, seed=5, pool=3)
    iterator = iter(loader)
    taken = [next(iterator) for _ in range(5)]
    state = loader.state_dict()
    resumed = BucketLoader(pairs, batch_size=16, seed=0, pool=3)
    resumed.load_state_dict(state)
    rest = list(resumed) + list(resumed)
    got = taken + rest
    assert len(got) == len(expected) == 26
    for a, b in zip(got, expected, strict=True):
        assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_bucket_loader_drop_last():
    loader = BucketLoader(_encoded(), batch_size=16, drop_last=True, pool=2)
    batches = list(loader)
    assert len(batches) == len(loader) == 12 and all(len(b[0]) == 16 for b in batches)
