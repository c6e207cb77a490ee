"""Composite scores and ranks of units: the superior office's internal evaluation.

Pure functions on the facts frame (``metrics.compute_facts``). A pack's ``rollup.yaml``
gives each scored indicator a weight and a method; every indicator score lies in [0, 1]:

``target``
    Against the unit's target for the year. Floor (越高越好): value ÷ target, capped at 1.
    Cap (控制在…以内): 1 within the cap, else cap ÷ value (a zero cap: 1 only at zero).
    Without a target for that unit-year the ``range`` method applies.
``range``
    Against the other units (极差标准化): (value − lowest) ÷ (highest − lowest), reversed
    when lower is better; all equal → 1.

Yes/no indicators score 1 or 0. The composite is Σ weight × score ÷ Σ weight × 100,
rounded half up to one decimal, and units are ranked on that printed figure (so two units
that read the same share the rank: 1, 2, 2, 4). A unit missing any scored value gets no
composite (it prints as 【待填】 and is left out of the ranking), never a guessed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from huibao.packs.schema import Pack


@dataclass(frozen=True)
class Weight:
    """One scored indicator: its weight and how its score is computed."""

    key: str
    weight: float
    method: str = "target"


@dataclass(frozen=True)
class Score:
    """A unit's composite for one year; ``score`` None when a scored value is missing."""

    unit: str
    score: float | None
    parts: dict[str, float | None]      # indicator key → score in [0, 1] (None: missing)
    rank: int | None = None
    tie: bool = False

    @property
    def missing(self) -> list[str]:
        return [k for k, v in self.parts.items() if v is None]


def _round1(x: float) -> float:
    return float(Decimal(repr(x)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _target_score(value: float, target: float, relation: str) -> float:
    if relation == "cap":
        if value <= target:
            return 1.0
        return target / value if target > 0 else 0.0
    if target <= 0:
        return 1.0
    return min(value / target, 1.0)


def _range_score(value: float, lo: float, hi: float, higher_is_better: bool) -> float:
    if hi == lo:
        return 1.0
    share = (value - lo) / (hi - lo)
    return share if higher_is_better else 1.0 - share


def indicator_scores(facts: pd.DataFrame, pack: Pack, units: list[str], year: int,
                     w: Weight) -> dict[str, float | None]:
    """Each unit's score in [0, 1] on one indicator for ``year`` (None when missing)."""
    ind = pack.indicator(w.key)
    rows = facts[(facts["year"] == year) & (facts["key"] == w.key)
                 & facts["unit"].isin(units)].set_index("unit")
    values = {u: (float(rows.at[u, "value"]) if u in rows.index
                  and pd.notna(rows.at[u, "value"]) else None) for u in units}
    present = [v for v in values.values() if v is not None]
    lo, hi = (min(present), max(present)) if present else (0.0, 0.0)
    out: dict[str, float | None] = {}
    for unit, value in values.items():
        if value is None:
            out[unit] = None
        elif ind.kind == "bool":
            out[unit] = 1.0 if value else 0.0
        else:
            target = rows.at[unit, "target"]
            relation = rows.at[unit, "relation"]
            if w.method == "target" and pd.notna(target):
                out[unit] = _target_score(value, float(target), str(relation))
            else:
                out[unit] = _range_score(value, lo, hi, ind.higher_is_better is not False)
    return out


def composite(facts: pd.DataFrame, pack: Pack, units: list[str], year: int,
              weights: list[Weight]) -> list[Score]:
    """Every unit's composite for ``year`` with its rank, best first, unscored last.

    Units without any data for ``year`` are left out entirely.
    """
    have = set(facts.loc[facts["year"] == year, "unit"])
    units = [u for u in units if u in have]
    parts = {w.key: indicator_scores(facts, pack, units, year, w) for w in weights}
    total = sum(w.weight for w in weights)
    scores = []
    for unit in units:
        mine = {k: parts[k][unit] for k in parts}
        if any(v is None for v in mine.values()) or total <= 0:
            scores.append(Score(unit, None, mine))
            continue
        raw = sum(w.weight * mine[w.key] for w in weights) / total * 100  # type: ignore[operator]
        scores.append(Score(unit, _round1(raw), mine))
    return rank_scores(scores)


def rank_scores(scores: list[Score]) -> list[Score]:
    """Competition ranks on the printed score (1, 2, 2, 4), best first; unscored last."""
    scored = sorted((s for s in scores if s.score is not None), key=lambda s: -s.score)
    out: list[Score] = []
    for s in scored:
        better = sum(1 for o in scored if o.score > s.score)  # type: ignore[operator]
        tie = sum(1 for o in scored if o.score == s.score) > 1
        out.append(Score(s.unit, s.score, s.parts, better + 1, tie))
    return out + [s for s in scores if s.score is None]


@dataclass(frozen=True)
class Standing:
    """A unit's composite this year and last, and how its rank moved.

    ``prev_rank`` is the rank the unit actually had last year, among the units ranked last
    year (never last year's scores re-ranked among this year's units). ``same_field``: the
    units ranked are the same both years, so the two ranks compare and ``rank_move`` is
    the places gained; otherwise a move of places would count units joining or leaving
    the ranking, and ``rank_move`` is None.
    """

    unit: str
    score: float | None
    rank: int | None
    tie: bool
    prev_score: float | None
    prev_rank: int | None
    missing: tuple[str, ...]
    prev_tie: bool = False
    same_field: bool = True

    @property
    def delta(self) -> float | None:
        if self.score is None or self.prev_score is None:
            return None
        return _round1(self.score - self.prev_score)

    @property
    def rank_move(self) -> int | None:
        """Places gained since last year (negative: lost); None when the fields differ."""
        if self.rank is None or self.prev_rank is None or not self.same_field:
            return None
        return self.prev_rank - self.rank


@dataclass(frozen=True)
class Field:
    """Who was ranked this year and last (units with every scored value)."""

    now: tuple[str, ...]
    before: tuple[str, ...]

    @property
    def same(self) -> bool:
        return set(self.now) == set(self.before)

    @property
    def only_before(self) -> tuple[str, ...]:
        """Ranked last year, not this year."""
        return tuple(u for u in self.before if u not in self.now)

    @property
    def only_now(self) -> tuple[str, ...]:
        """Ranked this year, not last year."""
        return tuple(u for u in self.now if u not in self.before)


def ranked_field(facts: pd.DataFrame, pack: Pack, units: list[str], year: int,
                 weights: list[Weight]) -> Field:
    """The units ranked in ``year`` and in the year before."""
    now = composite(facts, pack, units, year, weights)
    before = composite(facts, pack, units, year - 1, weights)
    return Field(tuple(s.unit for s in now if s.rank is not None),
                 tuple(s.unit for s in before if s.rank is not None))


def standings(facts: pd.DataFrame, pack: Pack, units: list[str], year: int,
              weights: list[Weight]) -> list[Standing]:
    """This year's ranking with last year's actual scores and ranks beside it.

    ``units``: every unit that may be compared (those without data in a year are left out
    of that year's ranking, so last year's ranks are the ones last year's units had).
    """
    now = composite(facts, pack, units, year, weights)
    before = {s.unit: s for s in composite(facts, pack, units, year - 1, weights)}
    same = {s.unit for s in now if s.rank is not None} == \
        {u for u, s in before.items() if s.rank is not None}
    out = []
    for s in now:
        p = before.get(s.unit)
        out.append(Standing(s.unit, s.score, s.rank, s.tie, p.score if p else None,
                            p.rank if p else None,
                            tuple(pack.indicator(k).name for k in s.missing),
                            prev_tie=bool(p and p.tie), same_field=same))
    return out


def most_improved(table: list[Standing], top: int = 2) -> list[Standing]:
    """Units whose composite rose most since last year (ties at the cut kept), gains only."""
    gains = sorted((s for s in table if s.delta is not None and s.delta > 0),
                   key=lambda s: -s.delta)  # type: ignore[operator]
    if len(gains) <= top:
        return gains
    cut = gains[top - 1].delta
    return [s for s in gains if s.delta >= cut]  # type: ignore[operator]


def spread(table: list[Standing]) -> tuple[float, float] | None:
    """Highest and lowest composite of the ranked units."""
    scored = [s.score for s in table if s.score is not None]
    return (max(scored), min(scored)) if scored else None

