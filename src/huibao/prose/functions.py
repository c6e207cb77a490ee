"""The functions a narrative template may call.

Every number a template prints comes through here and, below, through ``phrasing``;
templates hold wording only. Conventions: a function returns ``""`` when the sentence part
should be dropped (an optional value is missing, or a change is adverse and does not
belong in 成效), and a 【待填：…】 marker inside its frame when a required value is missing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from huibao.errors import HuibaoError
from huibao.facts.metric import Metric
from huibao.prose import phrasing

_LEVEL_ORDER = {"国家级": 0, "省级": 1, "市级": 2, "县级": 3}


def qty(m: Metric) -> str:
    """The value with its unit or measure word (8562名, 92.3%, 2.4万元), or a marker."""
    ind = m.ind
    if m.value is None:
        return phrasing.missing(ind.name)
    if ind.kind == "rate":
        return phrasing.fmt_pct(m.value, ind.decimals or 0)
    if ind.kind == "bool":
        return "是" if m.value else "否"
    if ind.kind == "rank":
        return phrasing.ordinal_position(m.value)
    return phrasing.fmt_qty(m.value, ind.unit, measure_word=ind.measure_word,
                            decimals=ind.decimals or 0)


def _pct_decimals(m: Metric) -> int:
    """Percentages of change or completion take one decimal; rate points keep the rate's."""
    return (m.ind.decimals or 0) if m.ind.kind in ("rate", "score") else 1


def _change(m: Metric, style: str) -> phrasing.Phrase:
    ind = m.ind
    return phrasing.change(m.shown(m.value), m.shown(m.prev), kind=ind.kind,
                           higher_is_better=ind.higher_is_better, unit=ind.unit,
                           measure_word=ind.measure_word,
                           decimals=_pct_decimals(m), abs_decimals=ind.decimals or 0,
                           style=style, label=ind.name)


def change(m: Metric, style: str = "较上年") -> str:
    """The year-on-year change when it is an achievement (or neutral); else ``""``."""
    if m.value is None or m.prev is None:
        return ""
    p = _change(m, style)
    return p.text if p.flag == "ok" else ""


def change_any(m: Metric, style: str = "较上年") -> str:
    """The year-on-year change whatever its direction (for 存在的问题)."""
    if m.value is None or m.prev is None:
        return ""
    p = _change(m, style)
    return "" if p.flag == "skip" else p.text


def _target(m: Metric) -> phrasing.Phrase:
    ind = m.ind
    return phrasing.target_completion(m.shown(m.value), m.target, kind=ind.kind,
                                      higher_is_better=ind.higher_is_better, unit=ind.unit,
                                      measure_word=ind.measure_word,
                                      decimals=_pct_decimals(m), label=ind.name)


def vs_target(m: Metric, adverse: bool = False) -> str:
    """Comparison with the target; adverse ones only when ``adverse`` is true."""
    if m.value is None or m.target is None:
        return ""
    p = _target(m)
    if p.flag == "skip" or (p.flag == "adverse") != adverse:
        return ""
    return p.text


def target_level(m: Metric) -> str:
    """The target as a level phrase for plans: 达到90%以上 / 控制在0起以内."""
    if m.target is None:
        return ""
    ind = m.ind
    relation = "cap" if m.relation == "cap" else "floor"
    if ind.kind == "rate" and m.target >= 100:
        relation = "reach"  # nothing lies above 100 %: 达到100%, not 达到100%以上
    return phrasing.level(m.target, unit=ind.unit, measure_word=ind.measure_word,
                          decimals=ind.decimals or 0, relation=relation)


def clause(m: Metric, lead: str, *, verb: str = "", with_change: bool = True,
           with_target: bool = False) -> str:
    """``lead`` + verb + value [+ change] [+ target]; "" when an optional value is missing.

    ``verb`` 达到 claims an achievement, so it becomes the neutral 为 when the value
    missed its target (the gap itself is stated in 存在的问题).
    """
    if verb == "达到" and (m.met is False or m.adverse):
        verb = "为"  # 达到 claims an achievement: not for a missed target or a setback
    lead = lead + verb
    if m.value is None:
        return f"{lead}{phrasing.missing(m.name)}" if m.required else ""
    parts = [f"{lead}{qty(m)}"]
    if with_change:
        parts.append(change(m))
    if with_target:
        parts.append(vs_target(m))
    return "，".join(p for p in parts if p)


def sentence(lead: str, parts: Iterable[str], end: str = "。") -> str:
    """Join the non-empty parts with ，after ``lead``; "" when nothing is left."""
    kept = [p for p in parts if p]
    return f"{lead}{'，'.join(kept)}{end}" if kept else ""


def rank_of(m: Metric, n: int, scope: str = "全市", noun: str = "") -> str:
    """Phrase a published rank held as a value (kind ``rank``)."""
    if m.value is None:
        return f"年度排名{phrasing.missing(m.name)}" if m.required else ""
    field = f"{scope}{n}个{noun}中" if noun else scope
    phrase = phrasing.rank(int(m.value), n, scope=field)
    return "" if phrase.flag == "adverse" else phrase.text  # bottom half: not a headline


def problem(m: Metric) -> str:
    """A factual gap statement for an adverse metric: value, change, target gap."""
    parts = [f"{m.name}为{qty(m)}", change_any(m) if m.ind.higher_is_better is not None
             and m.prev is not None and _change(m, "较上年").flag == "adverse" else "",
             vs_target(m, adverse=True)]
    return "，".join(p for p in parts if p)


HONOURS_LISTED = 3   # titles named in a summary; beyond, 等N项荣誉


def honours_summary(honours: list[dict], noun: str = "项荣誉") -> str:
    """先后荣获“A”、“B”和“C”3项荣誉 / “A”、“B”、“C”等5项荣誉, ordered by level then year.

    One rule for every pack: N counts titles, not award rows (a title won three times is
    one 项), and 等 appears only when titles are left unlisted. A single title won more
    than once reads 先后N次荣获“A”称号 (N: the awards).
    """
    ordered = sorted(honours, key=lambda h: (_LEVEL_ORDER.get(h["level"], 9), h["year"]))
    titles = list(dict.fromkeys(h["title"] for h in ordered))  # a title won twice: once
    if not titles:
        return ""
    if len(titles) == 1:
        times = len({int(h["year"]) for h in ordered})
        return f"荣获“{titles[0]}”称号" if times == 1 else \
            f"先后{phrasing.cn_num(times)}次荣获“{titles[0]}”称号"
    listing = phrasing.enum_list(titles[:HONOURS_LISTED], noun=noun, n=len(titles),
                                 quote=True)
    return f"先后荣获{listing}"


def honour_streaks(honours: list[dict], cycle: int = 1) -> list[str]:
    """Current streaks: 连续三年被评为“A” (cycle 1) / 连续四次荣获“A”称号 (cycle > 1).

    A title's streak counts back from its latest award while each earlier award is exactly
    ``cycle`` years before (annual titles: 1; 双拥模范城 namings: 4); it never bridges a
    missing year or cycle. Only streaks of two or more are stated, highest level first.
    """
    years: dict[str, set[int]] = {}
    level: dict[str, int] = {}
    for h in honours:
        years.setdefault(h["title"], set()).add(int(h["year"]))
        level[h["title"]] = min(level.get(h["title"], 9), _LEVEL_ORDER.get(h["level"], 9))
    out = []
    for title in sorted(years, key=lambda t: (level[t], -max(years[t]))):
        last, n = max(years[title]), 1
        while last - n * cycle in years[title]:
            n += 1
        if n < 2:
            continue
        if cycle == 1:
            out.append(f"连续{phrasing.cn_num(n)}年被评为“{title}”")
        else:
            out.append(f"连续{phrasing.cn_num(n)}次荣获“{title}”称号")
    return out


def first_honours(honours: list[dict], year: int) -> list[str]:
    """Titles won in ``year`` for the first time (首次荣获…), highest level first."""
    before = {h["title"] for h in honours if int(h["year"]) < year}
    now = sorted((h for h in honours if int(h["year"]) == year and h["title"] not in before),
                 key=lambda h: _LEVEL_ORDER.get(h["level"], 9))
    return list(dict.fromkeys(h["title"] for h in now))


_NAMED_EVENT = re.compile(r"(活动|行动|工程|月|周|节|赛|会|讲堂|宣讲|培训|评选)$")


def _whole(value: object) -> int | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if number != number else int(number)  # NaN: not filled in


def activities_summary(activities: list[dict], categories: Iterable[str] | None = None,
                       noun: str = "项重点活动", who: str = "群众") -> str:
    """组织开展“A”“B”等N项重点活动，累计开展X次、参与群众Y人次; "" when there are none.

    ``categories`` keeps only activities of those categories; ``who`` names the
    participants (群众, or 干部职工 for an agency's own activities). A total is stated only
    when every listed activity has its figure (a partial sum would understate it).
    """
    wanted = None if categories is None else set(categories)
    rows = [a for a in activities if wanted is None or a.get("category") in wanted]
    if not rows:
        return ""
    ordered = sorted(rows, key=lambda a: -(_whole(a.get("participants")) or 0))
    names = list(dict.fromkeys(a["name"] for a in ordered))
    if len(names) == 1:
        kind = "" if _NAMED_EVENT.search(names[0]) else "活动"
        text = f"组织开展“{names[0]}”{kind}"
    else:
        text = "组织开展" + phrasing.enum_list(names[:3], noun=noun, n=len(names), quote=True)
    times = [_whole(a.get("times")) for a in rows]
    people = [_whole(a.get("participants")) for a in rows]
    totals = []
    if all(t is not None for t in times):
        totals.append(f"开展活动{phrasing.fmt_qty(sum(times), '次')}")  # type: ignore[arg-type]
    if all(p is not None for p in people):
        totals.append(f"参与{who}{phrasing.fmt_qty(sum(people), '人次')}")  # type: ignore[arg-type]
    if totals:
        text += "，累计" + "、".join(totals)
    return text


def systems_summary(systems: list[dict], noun: str = "项制度") -> str:
    """出台和修订《A》《B》《C》等N项制度 (the recorded actions); "" when there are none."""
    if not systems:
        return ""
    names = list(dict.fromkeys(s["name"] for s in systems))
    actions = list(dict.fromkeys(s.get("action") or "出台" for s in systems))
    verb = phrasing.join_cn(actions)  # 出台 / 出台和修订 / 出台、修订和完善
    shown = "".join(f"《{n}》" for n in names[:3])
    if len(names) == 1:
        return f"{verb}{shown}"
    if len(names) <= 3:
        return f"{verb}{shown}{len(names)}{noun}"
    return f"{verb}{shown}等{len(names)}{noun}"


GLOBALS = {
    "qty": qty, "change": change, "change_any": change_any, "vs_target": vs_target,
    "target_level": target_level, "clause": clause, "sentence": sentence,
    "rank_of": rank_of, "problem": problem,
    "honours_summary": honours_summary, "honour_streaks": honour_streaks,
    "first_honours": first_honours, "activities_summary": activities_summary,
    "systems_summary": systems_summary,
    "cn": phrasing.cn_num, "join": phrasing.join_cn, "fmt_date": phrasing.fmt_date,
    "year_range": phrasing.fmt_year_range,
}


def date_of(value: str | dt.date | None, year: int) -> dt.date:
    """A document date from a parameter (ISO string or date); defaults to 31 December."""
    if value is None or value == "":
        return dt.date(year, 12, 31)
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        raise HuibaoError(f"成文日期“{value}”无法识别，应写成 {year}-12-31 的形式。") from None
    if day.year not in (year, year + 1):
        raise HuibaoError(f"成文日期{day.isoformat()}与总结年度{year}年不符"
                          f"（应在{year}年或{year + 1}年）。")
    return day
