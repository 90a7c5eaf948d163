"""One-to-one matching of list items (problems, improvements) by normalized text similarity.

Items are compared after dropping whitespace and punctuation, so a PDF line break, a trailing 。 or a full-width
comma does not turn a right answer into a miss. Matching is greedy on the best pairs first; a pair needs a
similarity of at least :data:`THRESHOLD`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

THRESHOLD = 0.6


@dataclass(frozen=True, slots=True)
class Match:
    gold: int
    predicted: int
    similarity: float


@dataclass(frozen=True, slots=True)
class Matching:
    """Which gold items found a predicted item, and the best similarity of every item left over."""

    matches: list[Match]
    unmatched_gold: list[tuple[int, float, int | None]]  # (gold index, best similarity, best predicted index)
    unmatched_predicted: list[tuple[int, float, int | None]]


def normalize(text: str) -> str:
    """Text without whitespace and punctuation, NFKC-folded (full-width forms become half-width)."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PZC" and not ch.isspace())


def similarity(a: str, b: str) -> float:
    """SequenceMatcher ratio of the normalized texts (1.0 for two empty texts)."""
    na, nb = normalize(a), normalize(b)
    if not na and not nb:
        return 1.0
    return SequenceMatcher(None, na, nb, autojunk=False).ratio()


def match_items(gold: list[str], predicted: list[str], threshold: float = THRESHOLD) -> Matching:
    scores = [[similarity(g, p) for p in predicted] for g in gold]
    pairs = sorted(
        ((scores[i][j], i, j) for i in range(len(gold)) for j in range(len(predicted))),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    matches: list[Match] = []
    for score, i, j in pairs:
        if score < threshold:
            break
        if i in used_gold or j in used_pred:
            continue
        used_gold.add(i)
        used_pred.add(j)
        matches.append(Match(i, j, score))
    matches.sort(key=lambda m: m.gold)
    left_gold = [(i, *_best(scores[i])) for i in range(len(gold)) if i not in used_gold]
    columns = [[row[j] for row in scores] for j in range(len(predicted))]
    left_pred = [(j, *_best(columns[j])) for j in range(len(predicted)) if j not in used_pred]
    return Matching(matches, left_gold, left_pred)


def _best(row: list[float]) -> tuple[float, int | None]:
    if not row:
        return 0.0, None
    k = max(range(len(row)), key=row.__getitem__)
    return row[k], k
