"""Metrics: derived indicators, year-on-year change, targets and ranks.

Pure functions, frames in and frames out. The central product is the *facts* frame: one
row per (unit, year, key) with the value, last year's value, the target, and how they
compare. Phrasing and charts read facts; nothing here formats text.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from huibao.packs.schema import Pack

FACT_COLUMNS = [
    "unit", "year", "key", "value", "source", "prev", "delta", "pct_change",
    "target", "relation", "met", "completion", "rank", "n_ranked", "tie", "level",
]


def add_derived(values: pd.DataFrame, pack: Pack) -> pd.DataFrame:
    """Add derived indicators computed from their parts.

    Where a sheet also gives a derived rate, the computed value replaces it (``validate``
    has already checked that they agree); a given rate whose parts are missing is kept.
    """
    wide = values.pivot_table(index=["unit", "year"], columns="key", values="value",
                              aggfunc="first")
    extra = []
    for ind in pack.indicators:
        d = ind.derive
        if d is None or d.numerator not in wide or d.denominator not in wide:
            continue
        den = wide[d.denominator] * d.denominator_scale
        rate = (wide[d.numerator] / den.where(den != 0)) * 100
        rate = rate.dropna()
        part = rate.rename("value").reset_index()
        part["key"] = ind.key
        part["source"] = f"由“{pack.indicator(d.numerator).name}”和“" \
                         f"{pack.indicator(d.denominator).name}”计算"
        extra.append(part)
    if not extra:
        return values
    computed = pd.concat(extra, ignore_index=True)
    index = ["unit", "year", "key"]
    given = values.merge(computed[index], on=index, how="left", indicator=True)
    kept = values[(given["_merge"] == "left_only").to_numpy()]
    return pd.concat([kept, computed], ignore_index=True)


def _targets(values: pd.DataFrame, targets: pd.DataFrame, pack: Pack) -> pd.DataFrame:
    """Per-row target: the workbook's 年度目标 for that unit-year, else the pack default."""
    default = pd.Series({i.key: i.target for i in pack.indicators}, dtype="float64")
    relation = pd.Series({i.key: i.target_relation or ("cap" if i.higher_is_better is False
                                                       else "floor")
                          for i in pack.indicators})
    out = values.merge(targets[["unit", "year", "key", "target"]],
                       on=["unit", "year", "key"], how="left")
    out["target"] = out["target"].fillna(out["key"].map(default))
    out["relation"] = out["key"].map(relation).where(out["target"].notna())
    return out


def _ranks(facts: pd.DataFrame, pack: Pack) -> pd.DataFrame:
    """Rank units within each (year, key, level) by direction; ties share the best rank.

    Units of different levels of a hierarchy (中心, 所, 站) are never ranked together."""
    hib = {i.key: i.higher_is_better for i in pack.indicators
           if i.higher_is_better is not None and i.kind not in ("bool", "rank")}
    facts["rank"] = np.nan
    facts["n_ranked"] = np.nan
    facts["tie"] = False
    rankable = facts["key"].isin(list(hib))
    sub = facts.loc[rankable, ["year", "key", "level", "value"]]
    if sub.empty:
        return facts
    groups = ["year", "key", "level"]
    # Higher is better: rank the negated values ascending (the same order and ties).
    signed = sub["value"].where(~sub["key"].map(hib).astype(bool), -sub["value"])
    rank = signed.groupby([sub[g] for g in groups]).rank(method="min")
    facts.loc[sub.index, "rank"] = rank
    facts.loc[sub.index, "n_ranked"] = sub.groupby(groups)["value"].transform("size").astype(
        "float64")
    # Tied: another unit of the group has the same rank (units without a value tie too).
    facts.loc[sub.index, "tie"] = sub[groups].assign(rank=rank).duplicated(keep=False)
    return facts


def compute_facts(values: pd.DataFrame, targets: pd.DataFrame, pack: Pack,
                  levels: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Build the facts frame from collected values and targets (see module docstring).

    ``levels`` gives each unit's level in the hierarchy (``hierarchy.Tree.levels``; absent
    units and no mapping: 0), kept in the ``level`` column: ranks compare a level only.
    """
    values = add_derived(values, pack)
    prev = values[["unit", "year", "key", "value"]].copy()
    prev["year"] = prev["year"] + 1
    facts = values.merge(prev.rename(columns={"value": "prev"}),
                         on=["unit", "year", "key"], how="left")
    facts["delta"] = facts["value"] - facts["prev"]
    base = facts["prev"].where(facts["prev"] != 0)
    facts["pct_change"] = facts["delta"] / base * 100
    facts = _targets(facts, targets, pack)
    floor = facts["relation"] == "floor"
    cap = facts["relation"] == "cap"
    facts["met"] = pd.Series(pd.NA, index=facts.index, dtype="boolean")
    facts.loc[floor, "met"] = facts.loc[floor, "value"] >= facts.loc[floor, "target"]
    facts.loc[cap, "met"] = facts.loc[cap, "value"] <= facts.loc[cap, "target"]
    facts["completion"] = facts["value"] / facts["target"].where(facts["target"] > 0) * 100
    facts.loc[~floor, "completion"] = np.nan
    facts["level"] = facts["unit"].map(dict(levels or {})).fillna(0).astype(int)
    facts = _ranks(facts, pack)
    return facts[FACT_COLUMNS].sort_values(["unit", "year", "key"]).reset_index(drop=True)

