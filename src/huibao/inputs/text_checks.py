"""Checks of the units' own words (文字材料), each located by file, sheet, row and column.

Errors: a 部分 no document has (with the nearest valid name), a unit or year not in
单位信息 / the data, an empty 内容. Warnings: half-width punctuation between Chinese
characters, a block over ``LONG`` characters, and a number that disagrees with the
workbook: when a sentence names an indicator (by its Chinese name or an alias) and
states a number for it, the number — after 万/亿 and % — must agree with the unit's value
for that year to the precision it is written with. The warning names both cells and both
values; ``strict`` makes it an error. Template syntax in a text is not a problem: the
words are printed literally, never evaluated.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from decimal import Decimal

import pandas as pd

from huibao.inputs import texts
from huibao.inputs.findings import Problem
from huibao.inputs.workbook import SHEET_UNITS, Workbook
from huibao.numbers import fmt_number
from huibao.packs.schema import Indicator, Pack

LONG = 1500
_HALF = re.compile(r"(?<=[\u4e00-\u9fff])[,.;:!?()](?=[\u4e00-\u9fff])")
_SENTENCE = re.compile(r"[^。；！？\n]+")
# A number and what follows it: 6.5万名, 92.3%, 3165.53万元, 1,200人
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*(亿|万)?\s*(%|％|个百分点)?")
_NOT_VALUE = ("年", "月", "日", "时", "届", "次会议", "号", "期")


def _where(row: pd.Series, column: str | None = None, letter: str | None = None) -> dict:
    return {"file": row.get("file"), "sheet": row.get("sheet") if pd.notna(row.get("sheet"))
            else None, "row": int(row["row"]) if pd.notna(row.get("row")) else None,
            "column": column, "letter": letter, "unit": row.get("unit"),
            "year": int(row["year"]) if pd.notna(row.get("year")) else None}


def check_texts(wb: Workbook, pack: Pack, *, strict: bool = False) -> Iterator[Problem]:
    frame = wb.texts
    if frame.empty:
        return
    roster = set(wb.units["unit"])
    years = {(u, int(y)) for u, y in zip(wb.rows["unit"], wb.rows["year"], strict=True)} \
        if not wb.rows.empty else set()
    valid = texts.parts(pack)
    by_unit_year = _values(wb, set(frame["unit"]))
    for _, row in frame.iterrows():
        body_at = _where(row, row.get("column"), row.get("letter")
                         if pd.notna(row.get("letter")) else None)
        part_at = _where(row, "部分", row.get("part_letter")
                         if pd.notna(row.get("part_letter")) else None)
        unit, year = row["unit"], row.get("year")
        if unit not in roster:
            close = difflib.get_close_matches(str(unit), sorted(roster), n=1, cutoff=0.4)
            yield Problem("text_unknown_unit", f"单位“{unit}”不在{SHEET_UNITS}表中", **{
                **_where(row, "单位"), "value": unit,
                "expected": f"单位信息表中的名称（最接近的是“{close[0]}”）" if close else
                "单位信息表中的名称"})
        elif pd.notna(year) and roster and years and (unit, int(year)) not in years:
            yield Problem("text_unknown_year", f"单位“{unit}”没有{int(year)}年的指标数据",
                          **{**_where(row, "年度"), "value": int(year)})
        part = str(row.get("part") or "")
        if texts.canonical(part, pack) is None:
            close = difflib.get_close_matches(part, valid, n=1, cutoff=0.3)
            yield Problem("text_unknown_part", f"部分“{part}”不是文档中的部分", value=part,
                          expected=(f"最接近的是“{close[0]}”；" if close else "")
                          + "可选：" + "、".join(valid), **part_at)
        body = row.get("body")
        if body is None or (isinstance(body, float) and pd.isna(body)) or not str(body).strip():
            yield Problem("text_empty", "内容为空", expected="这一部分的一段文字", **body_at)
            continue
        body = str(body)
        for m in _HALF.finditer(body):
            yield Problem("text_half_width", f"中文之间有半角标点“{m.group()}”",
                          severity="warning", value=body[max(0, m.start() - 8):m.end() + 8],
                          expected="全角标点（，。；：！？（））", **body_at)
        if len(body) > LONG:
            yield Problem("text_long", f"这一段有{len(body)}字，超过约{LONG}字",
                          severity="warning", expected="分成几段（每段一行）", **body_at)
        if pd.notna(year):
            values = by_unit_year.get((unit, int(year)), {})
            yield from _numbers(pack, values, body, body_at, strict)


def _values(wb: Workbook, units: set[str]) -> dict[tuple[str, int], dict[str, tuple]]:
    """(unit, year) → key → the value's row (``value``, ``source``) for ``units``, once."""
    out: dict[tuple[str, int], dict[str, tuple]] = {}
    v = wb.values
    for r in v[v["unit"].isin(units)].itertuples():
        out.setdefault((r.unit, int(r.year)), {}).setdefault(r.key, r)
    return out


def _numbers(pack: Pack, values: dict[str, tuple], body: str, at: dict,
             strict: bool) -> Iterator[Problem]:
    """Numbers stated for an indicator that disagree with the workbook (see module doc)."""
    if not values:
        return
    names = sorted(((n, ind) for ind in pack.indicators for n in (ind.name, *ind.aliases)
                    if n and ind.key in values), key=lambda x: -len(x[0]))
    for sentence in _SENTENCE.findall(body):
        for name, ind in names:
            at_name = sentence.find(name)
            if at_name < 0:
                continue
            stated = _stated(sentence[at_name + len(name):], ind)
            if stated is None:
                break
            number, shown = stated
            cell = values[ind.key]
            value = float(cell.value)
            if value != value:  # a blank value: nothing to compare
                break
            # the value written anywhere in the sentence (在115项任务中，已完成114项) agrees
            others = (_stated(sentence[m.start():], ind) for m in _NUMBER.finditer(sentence))
            if not _agrees(number, shown, value, ind) and not any(
                    s is not None and _agrees(s[0], s[1], value, ind) for s in others):
                yield Problem(
                    "text_number", f"文字材料中“{name}”写为{shown}，与指标数据"
                    f"（{cell.source}）的{fmt_number(value, ind.decimals or 2)}"
                    f"{'%' if ind.kind == 'rate' else ind.unit}不一致",
                    severity="error" if strict else "warning", key=ind.key,
                    value=sentence.strip()[:60], expected=f"与 {cell.source} 一致，或改正该单元格",
                    **at)
            break  # one indicator per sentence: the longest name that appears


def _stated(rest: str, ind: Indicator) -> tuple[Decimal, str] | None:
    """The first number after the indicator's name, if it is a value of it (its unit or %),
    in the indicator's own unit, with the text as written."""
    for m in _NUMBER.finditer(rest[:40]):
        after = rest[m.end():m.end() + 4]
        if after.startswith(_NOT_VALUE) or m.group(3) == "个百分点":
            continue
        number = Decimal(m.group(1).replace(",", ""))
        scale, percent = m.group(2) or "", bool(m.group(3))
        if ind.kind == "rate" or percent:
            return (number, m.group(0).strip()) if ind.kind == "rate" and percent else None
        words = [w for w in (ind.unit, ind.measure_word) if w]
        if scale and ind.unit.startswith(scale) and (scale + after).startswith(ind.unit):
            return number, m.group(0).strip() + after[:len(ind.unit) - 1]  # 3165.53万元
        if any(after.startswith(w) for w in words):
            factor = {"万": 10_000, "亿": 100_000_000}.get(scale, 1)
            return number * factor, m.group(0).strip() + after[:1]
        return None
    return None


def _agrees(number: Decimal, shown: str, value: float, ind: Indicator) -> bool:
    """Equal to the precision written: 6.6万 agrees with 65,980; 65125 does not with 65415."""
    digits = shown.split("万")[0].split("亿")[0].rstrip("%％")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    step = Decimal(1).scaleb(-decimals)
    if "亿" in shown:
        step *= 100_000_000
    elif "万" in shown and not ind.unit.startswith("万"):
        step *= 10_000
    return abs(Decimal(repr(value)) - number) <= step / 2 + Decimal("1e-9")
