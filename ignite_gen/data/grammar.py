"""A small hand-written Japanese/English grammar: the bundled, offline seq2seq corpus.

Every sentence pair is produced by the rules below (no sentence is copied from a corpus),
and each Japanese sentence has exactly one English translation. The grammar covers:

- subjects: 私 I, あなた you, 彼 he, 彼女 she, 私たち we, 彼ら they, 先生 the teacher,
  父 my father, 母 my mother, 私の友達 my friend, 学生たち the students, and two animals
  (猫 the cat, 犬 the dog) that only take verbs that suit them;
- transitive verbs with objects (eat, drink, read, write, buy, watch, study, make, wash,
  listen to, use) and intransitive verbs with places (go, come, go home, sleep, run, work,
  swim, play): 学校に "to school", 家で "at home", ...;
- time words that fix the tense: no word (ます present, ました past), 毎日/毎朝 (present,
  "every day/morning"), 昨日/先週 (past), 今日 (past, or ます as future "will ... today"),
  明日/来週 (future "will");
- negation: ません "do/does not", ませんでした "did not", future ません "will not";
- questions (affirmative, not with 私/私たち as subject): ...か。 "Do/Does/Did/Will ...?";
- 好き: XはYが好きです "X like(s) Y", with negative, past and question forms;
- adjective predicates on この/あの/私の/彼の/彼女の/私たちの + noun: i-adjectives
  (面白いです, 面白くないです, 面白かったです, 面白くなかったです, いい/よくない irregular) and
  na-adjectives (静かです, 静かではありません, 静かでした, ...), with "Is/Was ...?" questions.

English uses one scheme: countable objects in the singular with a/an ("an apple"), liked
things in the plural ("I like dogs."), third person -s, do/does/did support, a capital first
letter and a final "." or "?". Japanese statements end in 。 and questions in か。.
A time word is followed by 、 (私は昨日、りんごを食べました。) so that 今日、本 never reads as
今 日本. The full set holds 25,836 distinct pairs (23,260 with verbs, 740 with 好き, 1,836
with adjectives); `grammar_pairs(n, seed)` shuffles it with the seed and returns the first n.

Example:
    >>> pairs = grammar_pairs(3, seed=0)
    >>> len(pairs)
    3
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator

from ..errors import UserError

__all__ = ["GRAMMAR_VERSION", "grammar_pairs"]

#: Bump when the rules change, so that vocabularies and snapshots can tell corpora apart.
GRAMMAR_VERSION = "1"

# (japanese, english, person): person "3" is third person singular.
_Person = tuple[str, str, str]
# (masu stem, base, third person, past, animals may do it, objects or places)
_Verb = tuple[str, str, str, str, bool, list[tuple[str, str]]]
_PEOPLE = [
    ("私", "I", "1"),
    ("あなた", "you", "2"),
    ("彼", "he", "3"),
    ("彼女", "she", "3"),
    ("私たち", "we", "p"),
    ("彼ら", "they", "p"),
    ("先生", "the teacher", "3"),
    ("父", "my father", "3"),
    ("母", "my mother", "3"),
    ("私の友達", "my friend", "3"),
    ("学生たち", "the students", "p"),
]
_ANIMALS = [("猫", "the cat", "3"), ("犬", "the dog", "3")]
_NOT_ASKED = {"私", "私たち"}  # "Do I ...?" and "Do we ...?" read oddly; leave them out

_FOOD = [
    ("りんご", "an apple"),
    ("パン", "bread"),
    ("魚", "fish"),
    ("ご飯", "rice"),
    ("ケーキ", "a cake"),
    ("卵", "an egg"),
]
_DRINKS = [
    ("水", "water"),
    ("お茶", "tea"),
    ("コーヒー", "coffee"),
    ("牛乳", "milk"),
    ("ジュース", "juice"),
]

# (masu stem, base, third person, past, animals may do it, objects or places)
_TRANSITIVE = [
    ("食べ", "eat", "eats", "ate", True, _FOOD),
    ("飲み", "drink", "drinks", "drank", True, _DRINKS),
    (
        "読み",
        "read",
        "reads",
        "read",
        False,
        [("本", "a book"), ("新聞", "the newspaper"), ("手紙", "a letter"), ("雑誌", "a magazine")],
    ),
    (
        "書き",
        "write",
        "writes",
        "wrote",
        False,
        [("手紙", "a letter"), ("メール", "an email"), ("レポート", "a report"), ("詩", "a poem")],
    ),
    (
        "買い",
        "buy",
        "buys",
        "bought",
        False,
        [
            ("本", "a book"),
            ("車", "a car"),
            ("傘", "an umbrella"),
            ("靴", "shoes"),
            ("花", "flowers"),
        ],
    ),
    (
        "見",
        "watch",
        "watches",
        "watched",
        False,
        [("映画", "a movie"), ("テレビ", "TV"), ("ニュース", "the news")],
    ),
    (
        "勉強し",
        "study",
        "studies",
        "studied",
        False,
        [("日本語", "Japanese"), ("英語", "English"), ("数学", "math"), ("歴史", "history")],
    ),
    (
        "作り",
        "make",
        "makes",
        "made",
        False,
        [("ケーキ", "a cake"), ("夕食", "dinner"), ("サラダ", "a salad"), ("カレー", "curry")],
    ),
    (
        "洗い",
        "wash",
        "washes",
        "washed",
        False,
        [("車", "the car"), ("皿", "the dishes"), ("服", "the clothes")],
    ),
    (
        "聞き",
        "listen to",
        "listens to",
        "listened to",
        False,
        [("音楽", "music"), ("ラジオ", "the radio"), ("歌", "a song")],
    ),
    (
        "使い",
        "use",
        "uses",
        "used",
        False,
        [("パソコン", "a computer"), ("辞書", "a dictionary"), ("ペン", "a pen")],
    ),
]
_INTRANSITIVE = [
    (
        "行き",
        "go",
        "goes",
        "went",
        False,
        [
            ("学校に", "to school"),
            ("駅に", "to the station"),
            ("図書館に", "to the library"),
            ("東京に", "to Tokyo"),
            ("病院に", "to the hospital"),
        ],
    ),
    (
        "来",
        "come",
        "comes",
        "came",
        True,
        [("学校に", "to school"), ("公園に", "to the park"), ("ここに", "here")],
    ),
    ("帰り", "go home", "goes home", "went home", False, [("家に", ""), ("早く家に", "early")]),
    (
        "寝",
        "sleep",
        "sleeps",
        "slept",
        True,
        [("家で", "at home"), ("部屋で", "in the room"), ("ソファーで", "on the sofa")],
    ),
    (
        "走り",
        "run",
        "runs",
        "ran",
        True,
        [("公園で", "in the park"), ("駅まで", "to the station"), ("海辺で", "on the beach")],
    ),
    (
        "働き",
        "work",
        "works",
        "worked",
        False,
        [
            ("会社で", "at the office"),
            ("家で", "at home"),
            ("病院で", "at the hospital"),
            ("店で", "at the shop"),
        ],
    ),
    (
        "泳ぎ",
        "swim",
        "swims",
        "swam",
        True,
        [("海で", "in the sea"), ("プールで", "in the pool"), ("川で", "in the river")],
    ),
    (
        "遊び",
        "play",
        "plays",
        "played",
        True,
        [("公園で", "in the park"), ("家で", "at home"), ("外で", "outside")],
    ),
]

# (japanese, english, tense): the tenses a time word allows.
_TIMES = [
    ("", "", "present"),
    ("", "", "past"),
    ("毎日", "every day", "present"),
    ("毎朝", "every morning", "present"),
    ("昨日", "yesterday", "past"),
    ("先週", "last week", "past"),
    ("今日", "today", "past"),
    ("今日", "today", "future"),
    ("明日", "tomorrow", "future"),
    ("来週", "next week", "future"),
]

_LIKED = [
    ("犬", "dogs"),
    ("猫", "cats"),
    ("音楽", "music"),
    ("寿司", "sushi"),
    ("本", "books"),
    ("夏", "summer"),
    ("映画", "movies"),
    ("スポーツ", "sports"),
    ("魚", "fish"),
    ("コーヒー", "coffee"),
]

_I_ADJ = {
    "面白い": "interesting",
    "難しい": "difficult",
    "易しい": "easy",
    "新しい": "new",
    "古い": "old",
    "高い": "expensive",
    "安い": "cheap",
    "大きい": "big",
    "小さい": "small",
    "広い": "large",
    "狭い": "cramped",
    "暑い": "hot",
    "寒い": "cold",
    "おいしい": "delicious",
    "長い": "long",
    "優しい": "gentle",
    "いい": "good",
}
_NA_ADJ = {
    "静か": "quiet",
    "きれい": "beautiful",
    "有名": "famous",
    "便利": "convenient",
    "にぎやか": "lively",
    "親切": "kind",
}
_NOUNS = [
    ("本", "book", ["面白い", "難しい", "新しい", "古い", "高い", "いい"]),
    ("映画", "movie", ["面白い", "古い", "有名", "いい", "長い"]),
    ("部屋", "room", ["広い", "狭い", "静か", "きれい", "寒い", "暑い"]),
    ("車", "car", ["新しい", "古い", "高い", "大きい", "小さい", "便利"]),
    ("町", "town", ["静か", "にぎやか", "きれい", "有名", "大きい", "小さい"]),
    ("店", "shop", ["安い", "高い", "有名", "新しい", "大きい"]),
    ("料理", "food", ["おいしい", "高い", "安い", "有名"]),
    ("問題", "problem", ["難しい", "易しい"]),
    ("公園", "park", ["広い", "静か", "きれい", "有名"]),
    ("辞書", "dictionary", ["便利", "新しい", "古い", "高い"]),
    ("先生", "teacher", ["親切", "有名", "優しい"]),
]
_DETERMINERS = [
    ("この", "this"),
    ("あの", "that"),
    ("私の", "my"),
    ("彼の", "his"),
    ("彼女の", "her"),
    ("私たちの", "our"),
]
# (tense, negative, question) for 好き and adjective sentences.
_FORMS = [
    ("present", False, False),
    ("present", True, False),
    ("past", False, False),
    ("past", True, False),
    ("present", False, True),
    ("past", False, True),
]


def _english(words: list[str], question: bool) -> str:
    text = " ".join(w for w in words if w)
    return text[0].upper() + text[1:] + ("?" if question else ".")


def _japanese(text: str, question: bool) -> str:
    return text + ("か。" if question else "。")


def _verb_clause(
    person: _Person, verb: _Verb, tense: str, negative: bool, question: bool
) -> list[str]:
    """The English subject-and-verb words, in order, for one tense, polarity and mood."""
    _, base, third, past, _, _ = verb
    subject, who = person[1], person[2]
    do = {"present": "does" if who == "3" else "do", "past": "did", "future": "will"}[tense]
    if question:
        return [do, subject, base]
    if negative:
        return [subject, do, "not", base]
    if tense == "future":
        return [subject, "will", base]
    return [subject, past if tense == "past" else third if who == "3" else base]


def _verb_pairs() -> Iterator[tuple[str, str]]:
    ending = {
        (False, False): "ます",
        (True, False): "ません",
        (False, True): "ました",
        (True, True): "ませんでした",
    }
    for table, particle in ((_TRANSITIVE, "を"), (_INTRANSITIVE, "")):
        for verb in table:
            subjects = _PEOPLE + (_ANIMALS if verb[4] else [])
            for person in subjects:
                for complement_ja, complement_en in verb[5]:
                    for time_ja, time_en, tense in _TIMES:
                        for negative, question in ((False, False), (True, False), (False, True)):
                            if question and person[0] in _NOT_ASKED:
                                continue
                            when = f"{time_ja}、" if time_ja else ""
                            verb_ja = verb[0] + ending[negative, tense == "past"]
                            ja = f"{person[0]}は{when}{complement_ja}{particle}{verb_ja}"
                            clause = _verb_clause(person, verb, tense, negative, question)
                            en = [*clause, complement_en, time_en]
                            yield _japanese(ja, question), _english(en, question)


def _like_pairs() -> Iterator[tuple[str, str]]:
    ending = {
        ("present", False): "好きです",
        ("present", True): "好きではありません",
        ("past", False): "好きでした",
        ("past", True): "好きではありませんでした",
    }
    like: _Verb = ("", "like", "likes", "liked", True, [])
    for person in _PEOPLE + _ANIMALS:
        for thing_ja, thing_en in _LIKED:
            for tense, negative, question in _FORMS:
                if question and person[0] in _NOT_ASKED:
                    continue
                ja = f"{person[0]}は{thing_ja}が{ending[tense, negative]}"
                en = [*_verb_clause(person, like, tense, negative, question), thing_en]
                yield _japanese(ja, question), _english(en, question)


def _adjective_ja(adjective: str, tense: str, negative: bool) -> str:
    if adjective in _NA_ADJ:
        return (
            adjective
            + {
                ("present", False): "です",
                ("present", True): "ではありません",
                ("past", False): "でした",
                ("past", True): "ではありませんでした",
            }[tense, negative]
        )
    stem = "よ" if adjective == "いい" else adjective[:-1]
    if tense == "present" and not negative:
        return adjective + "です"
    return (
        stem
        + {
            ("present", True): "くないです",
            ("past", False): "かったです",
            ("past", True): "くなかったです",
        }[tense, negative]
    )


def _adjective_pairs() -> Iterator[tuple[str, str]]:
    for noun_ja, noun_en, adjectives in _NOUNS:
        for det_ja, det_en in _DETERMINERS:
            for adjective in adjectives:
                meaning = _I_ADJ.get(adjective) or _NA_ADJ[adjective]
                for tense, negative, question in _FORMS:
                    ja = f"{det_ja}{noun_ja}は{_adjective_ja(adjective, tense, negative)}"
                    be = "is" if tense == "present" else "was"
                    subject = [det_en, noun_en]
                    if question:
                        en = [be, *subject, meaning]
                    else:
                        en = [*subject, be, "not" if negative else "", meaning]
                    yield _japanese(ja, question), _english(en, question)


@functools.lru_cache(maxsize=1)
def _all_pairs() -> tuple[tuple[str, str], ...]:
    pairs = [*_verb_pairs(), *_like_pairs(), *_adjective_pairs()]
    return tuple(dict.fromkeys(pairs))


def grammar_pairs(n: int | None = None, seed: int = 0) -> list[tuple[str, str]]:
    """Distinct (japanese, english) pairs from the grammar, shuffled with ``seed``.

    ``n=None`` returns the whole set; otherwise the first ``n`` of the shuffled set, so a
    larger ``n`` with the same seed extends a smaller one. The same seed gives the same list.

    Example:
        >>> grammar_pairs(1, seed=0)[0][1].endswith((".", "?"))
        True
    """
    pairs = list(_all_pairs())
    if n is not None and not 0 <= n <= len(pairs):
        raise UserError(
            f"n={n}: the grammar holds {len(pairs)} distinct pairs; ask for 0..{len(pairs)}"
        )
    random.Random(seed).shuffle(pairs)
    return pairs if n is None else pairs[:n]
