"""How much of one unit's document is the same as a sibling's (issue 15's measure).

Numbers are masked (each run of digits becomes one ``#``), then the share of unit A's
characters covered by a run of at least ``RUN`` characters that also occurs in unit B's
text. The campaign's figure is the median over every ordered pair of its units.
"""

from __future__ import annotations

import re
import statistics
from itertools import permutations

RUN = 12


def mask(text: str) -> str:
    text = re.sub(r"\d+(?:\.\d+)?", "#", text)
    return re.sub(r"\s+", "", text)


def shared_share(a: str, b: str, run: int = RUN) -> float:
    """Share of ``a`` covered by runs of ``run``+ characters that also occur in ``b``."""
    a, b = mask(a), mask(b)
    if len(a) < run:
        return 0.0
    grams = {b[i:i + run] for i in range(len(b) - run + 1)}
    covered = [False] * len(a)
    for i in range(len(a) - run + 1):
        if a[i:i + run] in grams:
            for j in range(i, i + run):
                covered[j] = True
    return sum(covered) / len(a)


def median_shared(texts: dict[str, str]) -> float:
    """Median of ``shared_share`` over every ordered pair of units."""
    pairs = [shared_share(texts[x], texts[y]) for x, y in permutations(texts, 2)]
    return statistics.median(pairs) if pairs else 0.0
