"""How alike two reports read, weighing what differs (places, numbers, objects) over the
quick-fill phrases every worker types (模板短语).

- ``normalise`` folds what a paraphrase changes without changing the claim: full-width
  forms, case, punctuation and spaces, Chinese numerals before a unit ("三号楼" → "3号楼").
- ``Corpus`` weighs character bigrams by inverse document frequency over the reports the
  rule reads (the district's reports of the span): a phrase most reports share ("巡查发现",
  "存在安全隐患") weighs almost nothing, a spot or an object named by few weighs a lot.
  Similarity is the cosine of the weighted bigram counts.
- ``disagreement`` vetoes a match whose numbers, named spots or named objects differ:
  "3号楼" and "5号楼", "东门" and "南门", "上水井盖" and "路灯" are two problems however
  alike the rest reads. Spots and numbers are read with proper names cut out
  (``ProperNames``: the district's communities and streets, the category names, "第3网格"),
  so the "花园" of a community called 樱花园 or the "公交站" of the category 公交站亭 is not
  taken for the spot a report names — two reports of one community or one category would
  otherwise always share a spot and never disagree on where they are.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGIT |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百]+(?=[号栋幢楼单元层室米个处根盏块辆户])")
_NUMBER = re.compile(r"\d+")
# Named spots of a neighbourhood and the words a paraphrase swaps for them.
_SPOT_ALIASES = {
    "大门": "门",
    "门口": "门",
    "出入口": "门",
    "十字路口": "路口",
    "交叉口": "路口",
    "停车库": "车库",
    "地库": "车库",
    "垃圾收集点": "垃圾站",
    "垃圾房": "垃圾站",
    "垃圾箱房": "垃圾站",
    "公交车站": "公交站",
    "车站": "公交站",
    "站台": "公交站",
    "广场": "广场",
}
# A side of the estate is one spot however it is said: 北门, 北侧, 北面, 北边, 北头, 北端,
# 北那边, 靠北.
_SPOT = re.compile(
    r"([东南西北])(?:门|侧|面|边|头|端|那边|那头)|靠([东南西北])"
    r"|路口|车库|垃圾站|公交站|广场|楼道|电梯|花园|菜场"
)


def _cn_number(text: str) -> str:
    """ "三" → "3", "十二" → "12", "二十" → "20", "一百零五" → "105"."""
    total, digit = 0, 0
    for char in text:
        if char == "百":
            total += (digit or 1) * 100
            digit = 0
        elif char == "十":
            total += (digit or 1) * 10
            digit = 0
        else:
            digit = _CN_DIGIT[char]
    return str(total + digit)


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _CN_NUMBER.sub(lambda m: _cn_number(m.group()), text)
    return _NOT_TEXT.sub("", text)


def _canonical_spots(text: str) -> str:
    for alias, canonical in _SPOT_ALIASES.items():
        text = text.replace(alias, canonical)
    return text


# Suffixes a name is also written without ("樱花园社区" is "樱花园" in a worker's words).
_NAME_SUFFIXES = ("社区", "街道", "小区", "村")
_CELL_NAME = r"第\d+网格"


class ProperNames:
    """Names that are not spots even when they hold a spot word. ``identifiers`` reads a
    normalised text's numbers and spots with each name replaced by a separator, and keeps
    what it read for the life of the object (one scan): quick-fill texts repeat."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        words = set()
        for name in names:
            name = normalise(name)
            if len(name) < 2:
                continue
            words.add(name)
            for suffix in _NAME_SUFFIXES:
                stem = name.removesuffix(suffix)
                # A community called 东门 still leaves "东门" a spot in everyone's reports.
                if stem != name and len(stem) >= 2 and not _SPOT.fullmatch(_canonical_spots(stem)):
                    words.add(stem)
        ordered = sorted(words, key=lambda w: (-len(w), w))  # the longest name first
        self.pattern = re.compile("|".join([*map(re.escape, ordered), _CELL_NAME]))
        self._read: dict[str, tuple[frozenset[str], frozenset[str]]] = {}

    def cut(self, text: str) -> str:
        """``text`` with every name taken out: what is left is the wording, the same in
        every community ("樱花园东门…" and "和平东门…" read alike)."""
        return self.pattern.sub("", text)

    def identifiers(self, text: str) -> tuple[frozenset[str], frozenset[str]]:
        found = self._read.get(text)
        if found is None:
            found = self._read[text] = _identifiers(self.pattern.sub("/", text))
        return found


def identifiers(
    text: str, names: ProperNames | None = None
) -> tuple[frozenset[str], frozenset[str]]:
    """The numbers and the named spots of a normalised text, ``names`` left out."""
    if names is None:
        return _identifiers(re.sub(_CELL_NAME, "/", text))
    return names.identifiers(text)


def _identifiers(text: str) -> tuple[frozenset[str], frozenset[str]]:
    spots = _canonical_spots(text)
    return (
        frozenset(_NUMBER.findall(text)),
        frozenset(m.group(1) or m.group(2) or m.group() for m in _SPOT.finditer(spots)),
    )


def disagreement(
    a: str, b: str, objects: Iterable[str] = (), names: ProperNames | None = None
) -> str | None:
    """Why two normalised texts cannot be about one thing at one spot, or None:

    - "numbers": both give numbers and neither's are all among the other's;
    - "place": both name a place (a number or a spot) and they share none;
    - "object": both name things of ``objects`` (the district's category names) and share
      none ("上水井盖" and "路灯" side by side are two problems).
    """
    numbers_a, spots_a = identifiers(a, names)
    numbers_b, spots_b = identifiers(b, names)
    if numbers_a and numbers_b and not (numbers_a <= numbers_b or numbers_b <= numbers_a):
        return "numbers"
    place_a, place_b = numbers_a | spots_a, numbers_b | spots_b
    if place_a and place_b and not place_a & place_b:
        return "place"
    things_a = {o for o in objects if o in a}
    things_b = {o for o in objects if o in b}
    if things_a and things_b and not things_a & things_b:
        return "object"
    return None


def bigrams(text: str) -> Counter:
    return Counter(text[i : i + 2] for i in range(len(text) - 1)) if len(text) > 1 else Counter()


class Corpus:
    """Bigram weights learnt from ``texts`` (normalised); ``similarity`` of two of them."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.df: Counter = Counter()
        self.n = 0
        for text in texts:
            self.n += 1
            self.df.update(set(bigrams(text)))
        self._vectors: dict[str, tuple[dict[str, float], float]] = {}

    def weight(self, gram: str) -> float:
        return math.log((self.n + 1) / (self.df.get(gram, 0) + 1)) + 1.0

    def vector(self, text: str) -> tuple[dict[str, float], float]:
        if text not in self._vectors:
            vec = {g: c * self.weight(g) for g, c in bigrams(text).items()}
            self._vectors[text] = (vec, math.sqrt(sum(v * v for v in vec.values())) or 1.0)
        return self._vectors[text]

    def similarity(self, a: str, b: str) -> float:
        (va, na), (vb, nb) = self.vector(a), self.vector(b)
        if len(va) > len(vb):
            va, vb = vb, va
        return sum(w * vb.get(g, 0.0) for g, w in va.items()) / (na * nb)

    def shared_terms(self, a: str, b: str, limit: int = 5) -> list[str]:
        """The heaviest bigrams both texts have: what makes them read alike."""
        shared = set(bigrams(a)) & set(bigrams(b))
        return sorted(shared, key=lambda g: (-self.weight(g), g))[:limit]
