"""Independent re-reading of the sample workbook and re-statement of the phrasing rules.

Deliberately shares no code with huibao: it reads the workbook with openpyxl and the pack
with yaml, rolls units up to their 上级单位 by the pack's rules (templates/README.md,
“上下级汇总”), recomputes derived rates and comparisons, and formats numbers by the rules of
../shared/domain/phrasing.md, so that the document tests compare two implementations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import yaml


def fmt(x: float, d: int) -> str:
    q = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP)
    s = format(q, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


@dataclass
class Ind:
    key: str
    name: str
    unit: str
    kind: str
    decimals: int
    hib: bool | None
    target: float | None
    word: str
    derive: dict | None
    group: str
    required: bool
    rollup: str = "own"          # how a parent gets it from its units
    weight: str | None = None    # weighted_mean: the weighing indicator


# Roll-up rules when indicators.yaml does not declare one (templates/README.md).
DEFAULT_ROLLUP = {"count": "sum", "amount": "sum", "money": "sum", "rate": "mean",
                  "score": "mean", "rank": "own", "bool": "min"}


def load_pack(root: Path, campaign: str = "wenming_city") -> dict[str, Ind]:
    data = yaml.safe_load((root / f"templates/{campaign}/indicators.yaml").read_text("utf-8"))
    dec = {"count": 0, "rank": 0, "bool": 0, "amount": 1, "score": 1, "rate": 1, "money": 2}
    out = {}
    for i in data["indicators"]:
        rollup = "derived" if i.get("derive") else i.get("rollup") or DEFAULT_ROLLUP[i["kind"]]
        out[i["key"]] = Ind(i["key"], i["name"], i["unit"], i["kind"],
                            i.get("decimals", dec[i["kind"]]), i.get("higher_is_better"),
                            i.get("target"), i.get("measure_word") or i["unit"], i.get("derive"),
                            i["group"], i.get("required", False), rollup, i.get("rollup_weight"))
    return out


def aggregate(how: str, values: list[float], weights: list[float]) -> float | None:
    """One roll-up rule applied to the units' values."""
    if how == "sum":
        return sum(values)
    if how == "mean":
        return sum(values) / len(values)
    if how == "weighted_mean":
        return sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights) \
            if sum(weights) else None
    return {"max": max, "min": min}[how](values)


class Data:
    """values[(unit, year, key)] and targets[(unit, year, key)] from the workbook."""

    def __init__(self, path: Path, pack: dict[str, Ind]) -> None:
        wb = openpyxl.load_workbook(path, data_only=True)
        self.pack = pack
        by_header = {f"{i.name}（{i.unit}）": i.key for i in pack.values()}
        self.values, self.rows = self._sheet(wb["指标数据"], by_header)
        self.targets, _ = self._sheet(wb["年度目标"], by_header)
        self.honours = self._plain(wb, "荣誉")
        self.activities = self._plain(wb, "重点活动")
        self.systems = self._plain(wb, "制度")
        self.units = {r["单位"]: r for r in self._plain(wb, "单位信息")}
        self.texts = self._plain(wb, "文字材料") if "文字材料" in wb.sheetnames else []
        self.parent = {u: r["上级单位"] for u, r in self.units.items() if r.get("上级单位")}
        self._roll_up()
        for (u, y) in {(u, y) for u, y, _ in self.values}:
            for ind in pack.values():
                d = ind.derive
                if not d:
                    continue
                num, den = self.values.get((u, y, d["numerator"])), \
                    self.values.get((u, y, d["denominator"]))
                if num is not None and den:
                    scale = d.get("denominator_scale", 1)
                    self.values[(u, y, ind.key)] = num / (den * scale) * 100

    def own_words(self, unit: str, year: int) -> list[str]:
        """The unit's 文字材料 (titles and texts): its own figures are its own to check
        (``huibao check`` compares those naming an indicator), not the generator's."""
        rows = [r for r in self.texts if r.get("单位") == unit and int(r.get("年度") or 0) == year]
        return sorted({str(r[k]).strip() for r in rows for k in ("小标题", "内容") if r.get(k)},
                      key=len, reverse=True)

    def without_own_words(self, text: str, unit: str, year: int) -> str:
        for words in self.own_words(unit, year):
            for line in words.splitlines():
                if line.strip():
                    text = text.replace(line.strip(), "")
        return text

    def depth(self, unit: str) -> int:
        return 1 + self.depth(self.parent[unit]) if unit in self.parent else 0

    def _roll_up(self) -> None:
        """Each parent's indicators from its units', deepest parents first; a unit without
        the value (or without a row that year) leaves the parent's missing."""
        children: dict[str, list[str]] = {}
        for unit, parent in self.parent.items():
            children.setdefault(parent, []).append(unit)
        for parent in sorted(children, key=self.depth, reverse=True):
            kids = children[parent]
            for year in sorted({y for u, y in self.rows if u in kids}):
                self.rows.add((parent, year))
                for ind in self.pack.values():
                    if ind.rollup in ("own", "derived"):
                        continue
                    self.values.pop((parent, year, ind.key), None)
                    got = [self.values.get((k, year, ind.key)) for k in kids]
                    weights = [self.values.get((k, year, ind.weight)) for k in kids] \
                        if ind.weight else []
                    if None in got or None in weights:
                        continue
                    value = aggregate(ind.rollup, got, weights)
                    if value is not None:
                        self.values[(parent, year, ind.key)] = value

    def peers(self, unit: str, year: int) -> int:
        """Units of ``unit``'s level with a row in ``year``."""
        return len({u for u, y in self.rows if y == year and self.depth(u) == self.depth(unit)})

    @staticmethod
    def _plain(wb, name: str) -> list[dict]:
        if name not in wb.sheetnames:
            return []
        rows = list(wb[name].iter_rows(values_only=True))
        return [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if r[0]]

    def explained(self, unit: str, year: int) -> set[float]:
        """Every figure a document of ``unit``-``year`` may state, from the workbook alone.

        Values of this and last year, targets, differences, growth and completion ratios,
        the number of units, counts of honours, activities and systems and sums of
        activities' times and participants over any choice of categories, and years.
        """
        numbers: set[float] = {*range(min(y for _, y, _ in self.values), year + 2)}
        numbers.add(len({u for u, y, _ in self.values if y == year}))
        numbers.add(self.peers(unit, year))  # units are compared within their level
        held = [h for h in self.honours if h["单位"] == unit and h["年度"] <= year]
        # honours count titles (a title won three times is one 项), never award rows
        numbers |= {len({h["称号"] for h in held}),
                    len({h["称号"] for h in held if h["年度"] == year})}
        for key in self.pack:
            v, p = self.value(unit, year, key), self.value(unit, year - 1, key)
            t = self.target(unit, year, key)
            numbers |= {x for x in (v, p, t) if x is not None}
            shown = self.pack[key].decimals
            if v is not None and p is not None:
                numbers.add(abs(v - p))
                # rates move in points between the rates as printed
                numbers.add(abs(float(fmt(v, shown)) - float(fmt(p, shown))))
                if p:
                    numbers.add(abs(v - p) / p * 100)
            if v is not None and t:
                numbers |= {abs(v - t), v / t * 100, abs(float(fmt(v, shown)) - t)}
        acts = [a for a in self.activities if a["单位"] == unit and a["年度"] == year]
        cats = sorted({a["类别"] for a in acts})
        for mask in range(1, 2 ** len(cats)):
            chosen = [a for a in acts if cats.index(a["类别"]) in
                      [i for i in range(len(cats)) if mask >> i & 1]]
            numbers.add(len(chosen))
            for col in ("开展次数", "参与人次"):
                if all(a.get(col) is not None for a in chosen):
                    numbers.add(sum(a[col] for a in chosen))
        numbers.add(len({s["制度名称"] for s in self.systems
                         if s["单位"] == unit and s["年度"] == year}))
        return numbers

    def names(self) -> list[str]:
        """Names that may contain digits of their own (五有, 200摊位…), longest first."""
        out = [i.name for i in self.pack.values()]
        out += [str(r.get(k) or "") for rows, k in ((self.honours, "称号"),
                                                   (self.activities, "活动名称"),
                                                   (self.systems, "制度名称")) for r in rows]
        out += list(self.units)
        return sorted({n for n in out if n}, key=len, reverse=True)

    @staticmethod
    def _sheet(ws, by_header):
        rows = list(ws.iter_rows(values_only=True))
        head = next(i for i, r in enumerate(rows) if r and "单位" in r and "年度" in r)
        headers = rows[head]
        out, present = {}, set()
        for r in rows[head + 1:]:
            if not r[0]:
                continue
            present.add((r[0], int(r[1])))
            for h, v in zip(headers[2:], r[2:], strict=False):
                if v is None or v == "":
                    continue
                out[(r[0], int(r[1]), by_header[h])] = {"是": 1.0, "否": 0.0}.get(v, v)
        return out, present

    def value(self, unit, year, key):
        return self.values.get((unit, year, key))

    def target(self, unit, year, key):
        t = self.targets.get((unit, year, key))
        return t if t is not None else self.pack[key].target


def value_text(ind: Ind, v: float) -> str:
    if ind.kind == "rate":
        return fmt(v, ind.decimals) + "%"
    if ind.unit == "万元":
        if v < 1:
            return fmt(v * 10000, 0) + "元"
        if v >= 10000:
            return fmt(v / 10000, 2) + "亿元"
        return fmt(v, 2) + "万元"
    if v >= 100000:
        scaled = float(fmt(v / 10000, 1))
        if abs(scaled * 10000 - v) / v <= 0.005:
            return fmt(scaled, 1) + "万" + ind.word
    return fmt(v, ind.decimals) + ind.word


def favourable(ind: Ind, v: float, p: float) -> bool | None:
    """True good move, False adverse, None neutral or flat at display precision."""
    step = 10 ** -ind.decimals
    if abs(v - p) < step / 2 or ind.hib is None:
        return None
    return (v > p) == ind.hib


def change_text(ind: Ind, v: float, p: float) -> str:
    d = v - p
    if ind.kind == "rate":  # points between the rates as printed
        d = float(fmt(v, ind.decimals)) - float(fmt(p, ind.decimals))
        r = fmt(abs(d), ind.decimals)
        if float(r) == 0:
            return "与上年持平"
        return f"较上年{'提高' if d > 0 else '下降'}{r}个百分点"
    if p == 0:
        return f"较上年新增{value_text(ind, v)}"
    if float(fmt(abs(d), ind.decimals)) == 0:
        return "与上年持平"
    pct = fmt(abs(d) / p * 100, 1)
    return (f"较上年{'增加' if d > 0 else '减少'}{value_text(ind, abs(d))}，"
            f"{'增长' if d > 0 else '下降'}{pct}%")


def gap_points(ind: Ind, v: float, t: float) -> str:
    """Distance to a rate target, from the rate as printed."""
    return fmt(abs(t - float(fmt(v, ind.decimals))), ind.decimals)


def missed(ind: Ind, v: float, t: float | None) -> bool:
    if t is None:
        return False
    return v > t if ind.hib is False else v < t


def unexplained(text: str, allowed: set[float], names: list[str]) -> list[str]:
    """Figures in ``text`` that are none of ``allowed`` (as printed, 0–2 decimals, 万/亿)."""
    for name in names:
        text = text.replace(name, "")
    shown = set()
    for x in allowed:
        for d in (0, 1, 2):
            shown |= {fmt(x, d), fmt(x / 10000, d), fmt(x / 1e8, d), fmt(x * 10000, d)}
    return [f for f in re.findall(r"\d+(?:\.\d+)?", text) if f not in shown]


# -- honours: the counts a document states, recounted ----------------------------------------

HONOUR_LIST = re.compile(r"荣获((?:“[^”]+”[、和]?)+?)(等)?(\d+)项荣誉")
HONOUR_TIMES = re.compile(r"先后([一二三四五六七八九十两]+)次荣获“([^”]+)”称号")
CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九十")} | {"两": 2}


def cn_int(text: str) -> int:
    """一 … 九十九 (the counts a summary spells out)."""
    if "十" not in text:
        return CN_DIGITS[text]
    tens, _, ones = text.partition("十")
    return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0)


def read_honours(path: Path) -> list[dict]:
    """The 荣誉 sheet's rows (单位, 年度, 级别, 称号) as dicts, read with openpyxl."""
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    if "荣誉" not in wb.sheetnames:
        return []
    rows = list(wb["荣誉"].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if r and r[0]]


def honour_problems(text: str, honours: list[dict], unit: str, year: int) -> list[str]:
    """Every 荣获“A”、“B”(等)N项荣誉 and 先后N次荣获“A”称号 in ``text`` recounted.

    The rule (one for every pack): N counts distinct titles, of the unit's honours up to
    ``year`` or of ``year`` alone, the set the listed titles come from; 等 stands exactly
    when fewer titles are listed than N; a title is listed once; 先后N次 counts the years a
    single title was won.
    """
    held = [h for h in honours if h["单位"] == unit and int(h["年度"]) <= year]
    sets = {"创建以来": {h["称号"] for h in held},
            "当年": {h["称号"] for h in held if int(h["年度"]) == year}}
    out = []
    for hit in HONOUR_LIST.finditer(text):
        listed = re.findall(r"“([^”]+)”", hit.group(1))
        n, etc = int(hit.group(3)), hit.group(2) is not None
        if len(set(listed)) != len(listed):
            out.append(f"{hit.group()}: a title listed twice")
        fits = [k for k, titles in sets.items() if set(listed) <= titles and n == len(titles)]
        if not fits:
            out.append(f"{hit.group()}: {n} is not the number of titles "
                       f"({ {k: len(v) for k, v in sets.items()} })")
        if etc != (n > len(listed)):
            out.append(f"{hit.group()}: 等 with {len(listed)} of {n} titles listed")
    for hit in HONOUR_TIMES.finditer(text):
        years = {int(h["年度"]) for h in held if h["称号"] == hit.group(2)}
        if cn_int(hit.group(1)) != len(years):
            out.append(f"{hit.group()}: won in {len(years)} years")
    return out
