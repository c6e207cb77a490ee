"""One unit-year's facts as objects a template can read.

``Metric`` joins an indicator's metadata with its numbers for one unit and year. Templates
receive a mapping key → Metric; they never see raw frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from huibao.numbers import fmt_number, is_missing
from huibao.packs.schema import Indicator, Pack


def _num(v: object, kind: str = "") -> float | None:
    """A number from a frame cell; None when missing; ranks are whole positions (int)."""
    if is_missing(v):
        return None
    return int(v) if kind == "rank" else float(v)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Metric:
    """An indicator's value for one unit-year, with comparisons (None = missing)."""

    ind: Indicator
    value: float | None
    prev: float | None = None
    target: float | None = None
    relation: str | None = None
    met: bool | None = None
    completion: float | None = None
    rank: int | None = None
    n_ranked: int | None = None
    tie: bool = False
    source: str = ""

    @property
    def key(self) -> str:
        return self.ind.key

    @property
    def name(self) -> str:
        return self.ind.name

    @property
    def present(self) -> bool:
        return self.value is not None

    @property
    def required(self) -> bool:
        return self.ind.required

    def shown(self, v: float | None) -> float | None:
        """``v`` as printed: rates and scores rounded to their decimals, so that a stated
        difference always equals the difference of the stated figures."""
        if v is None or self.ind.kind not in ("rate", "score"):
            return v
        return float(fmt_number(v, self.ind.decimals or 0))

    @property
    def adverse(self) -> bool:
        """Missed its target, or moved the wrong way (beyond display rounding)."""
        if self.value is None:
            return False
        if self.met is False:
            return True
        if self.prev is None or self.ind.higher_is_better is None:
            return False
        # Judged on the printed figures, as the change wording is: 88.84 → 88.76 reads
        # 88.8% both years, which is 持平, not a decline.
        step = 10 ** -(self.ind.decimals or 0)
        delta = self.shown(self.value) - self.shown(self.prev)
        if abs(delta) < step / 2:
            return False
        return delta < 0 if self.ind.higher_is_better else delta > 0


def _relation(ind: Indicator) -> str:
    """floor or cap, as ``compute._targets`` gives it to a row with a value."""
    return ind.target_relation or ("cap" if ind.higher_is_better is False else "floor")


def metrics_for(facts: pd.DataFrame, pack: Pack, unit: str, year: int,
                targets: pd.DataFrame | None = None) -> dict[str, Metric]:
    """Every indicator of the pack for one unit-year; absent values give ``value=None``.

    ``targets`` (the workbook's 年度目标) supply the target of an indicator whose value is
    missing: the facts hold rows with values only, and a unit's own target must not turn
    into the pack's default (or into none) because this year's figure is not in yet.
    """
    mine_rows = facts[facts["unit"] == unit]
    # Plain dicts by key: a row looked up as a Series costs more than the rest together.
    rows = {r["key"]: r for r in mine_rows[mine_rows["year"] == year].to_dict("records")}
    prev_year = {r["key"]: r["value"] for r in
                 mine_rows[mine_rows["year"] == year - 1][["key", "value"]].to_dict("records")}
    own: dict[str, float] = {}
    if targets is not None and not targets.empty:
        mine = targets[(targets["unit"] == unit) & (targets["year"] == year)]
        own = {str(k): float(t) for k, t in zip(mine["key"], mine["target"], strict=True)
               if not is_missing(t)}
    out: dict[str, Metric] = {}
    for ind in pack.indicators:
        if ind.key not in rows:
            prev = prev_year.get(ind.key)
            target = own.get(ind.key, ind.target)
            out[ind.key] = Metric(ind, None, prev=_num(prev, ind.kind), target=target,
                                  relation=_relation(ind) if target is not None else None)
            continue
        r = rows[ind.key]
        met = None if pd.isna(r["met"]) else bool(r["met"])
        out[ind.key] = Metric(
            ind,
            value=_num(r["value"], ind.kind),
            prev=_num(r["prev"], ind.kind),
            target=_num(r["target"]),
            relation=None if pd.isna(r["relation"]) else str(r["relation"]),
            met=met,
            completion=_num(r["completion"]),
            rank=None if pd.isna(r["rank"]) else int(r["rank"]),
            n_ranked=None if pd.isna(r["n_ranked"]) else int(r["n_ranked"]),
            tie=bool(r["tie"]),
            source=str(r["source"]),
        )
    return out
