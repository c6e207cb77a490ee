"""The superior office's year-end roll-up: one document built from all its units.

A city 文明办 writes its own 工作总结 (and 汇报材料) from every county's numbers: totals and
averages, a ranking on a composite score, the units that missed targets, the most
improved. Everything campaign-specific is data:

* ``templates/<campaign>/rollup.yaml`` (the pack): scored indicators with weights and
  methods (``scoring``), the indicators drawn as sorted bars, small-multiple trends and the
  completion matrix, the level of the units compared.
* ``params/<campaign>/rollup.yaml`` (the office): the area's name (示例市), the scope word
  of the prose (全市), the signatory, its superior and addressee, the document date.
* ``templates/shared/area/<文档>.md.j2``: the shared narrative templates, unless the pack has its
  own ``汇总<文档>.md.j2``.

The area's own figures come from the units' the way a hierarchy level's do
(``hierarchy.roll_up``): each indicator by its declared rule (sum, mean, weighted mean,
max), rates recomputed from summed parts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from huibao import config
from huibao.documents import charts, kinds
from huibao.documents.build import build
from huibao.documents.exhibits import change_cell
from huibao.documents.unit import blocking, selected_groups
from huibao.errors import DataError, HuibaoError, InvalidData
from huibao.facts import hierarchy
from huibao.facts.compute import compute_facts
from huibao.facts.loader import Inputs, load_inputs
from huibao.facts.metric import Metric, metrics_for
from huibao.facts.scoring import (
    Field,
    Standing,
    Weight,
    most_improved,
    ranked_field,
    spread,
    standings,
)
from huibao.packs import params
from huibao.packs.area import SPEC, AreaParams, RollupSpec, load_area, load_spec
from huibao.packs.params import FORMS
from huibao.packs.schema import Pack
from huibao.packs.wording import boilerplate
from huibao.prose import phrasing
from huibao.prose.functions import qty
from huibao.render.fonts import resolve_cjk_font
from huibao.render.outline import Block, Document, Figure, Table

TREND_YEARS = 5
UNNAMED = "汇总"   # the area's name when its settings cannot be read
MAX_NAMED = 5   # missed-target units named one by one; beyond, the furthest behind


@dataclass
class Rollup:
    """A campaign's inputs seen from the area: its member units and its own figures."""

    inputs: Inputs
    spec: RollupSpec
    area: AreaParams
    members: list[str]          # the units compared, in workbook order
    facts: pd.DataFrame         # the inputs' facts plus the area's own rows

    @property
    def pack(self) -> Pack:
        return self.inputs.pack

    @property
    def noun(self) -> str:
        return self.spec.noun or self.pack.peer_noun

    def weights(self) -> list[Weight]:
        return [Weight(w.key, w.weight, w.method) for w in self.spec.weights]


def members_of(inputs: Inputs, spec: RollupSpec) -> list[str]:
    """The units the area compares: those of ``spec.level``, else those without a parent."""
    units = inputs.workbook.units
    if spec.level is not None:
        types = [spec.level] if isinstance(spec.level, str) else spec.level
        chosen = units[units["unit_type"].isin(types)]
    else:
        top = {u for u, level in inputs.tree.levels.items() if level == 0}
        chosen = units[units["unit"].isin(top)]
    return list(dict.fromkeys(chosen["unit"]))


def area_facts(inputs: Inputs, members: list[str], area: str) -> pd.DataFrame:
    """The facts of ``members`` with the area's own rows added (rolled up from them)."""
    pack = inputs.pack
    collected = {i.key for i in pack.collected}
    mine = inputs.facts[inputs.facts["unit"].isin(members) & inputs.facts["key"].isin(collected)]
    values = mine[["unit", "year", "key", "value", "source"]].copy()
    tree = pd.DataFrame({"unit": [area, *members], "parent": [None, *[area] * len(members)]})
    rolled = hierarchy.roll_up(values, pack, tree)
    own = rolled[rolled["unit"] == area]
    targets = inputs.workbook.targets.iloc[0:0]
    area_rows = compute_facts(own, targets, pack)
    area_rows["rank"] = float("nan")      # the area is ranked against nobody
    area_rows["n_ranked"] = float("nan")
    area_rows["tie"] = False
    return pd.concat([inputs.facts[inputs.facts["unit"].isin(members)], area_rows],
                     ignore_index=True)


def load(campaign: str, data_path: str | Path | list | None = None, root: Path | None = None,
         area: AreaParams | None = None, inputs: Inputs | None = None) -> Rollup:
    """Read the campaign's workbook(s) and settings for a roll-up (``inputs``: already read)."""
    root = root or config.project_root()
    area = area or load_area(campaign, root)
    if inputs is None and data_path is None:
        data_path = params.merged(root / "params", campaign).get("data_path")
        if not data_path:
            raise HuibaoError(f"缺少数据文件：请写入 params/{campaign}/defaults.yaml 的 "
                              "data_path。")
    inputs = inputs or load_inputs(campaign, data_path, root)
    spec = load_spec(inputs.pack)
    members = members_of(inputs, spec)
    if area.area in set(inputs.workbook.units["unit"]):
        raise HuibaoError(f"汇总地区名称“{area.area}”与工作簿中的单位同名，请在 "
                          f"params/{campaign}/{SPEC} 中改用上级地区名称。")
    if not members:
        types = [spec.level] if isinstance(spec.level, str) else spec.level or []
        level = f"类型为“{'、'.join(types)}”的" if types else "没有上级单位的"
        raise DataError(f"工作簿“单位信息”中没有{level}单位，无法汇总",
                        file=inputs.workbook.file_label, sheet="单位信息")
    return Rollup(inputs, spec, area, members, area_facts(inputs, members, area.area))


# -- what the document says ----------------------------------------------------------------


def members_in(r: Rollup, year: int) -> list[str]:
    have = set(r.facts.loc[r.facts["year"] == year, "unit"])
    return [u for u in r.members if u in have]


def preflight(r: Rollup, year: int, *, allow_missing: bool = True) -> list[str]:
    """Errors that stop the roll-up (malformed data of any member); missing values pass."""
    units = members_in(r, year)
    if not units:
        raise DataError(f"没有任何单位有{year}年的指标数据", file=r.inputs.workbook.file_label,
                        sheet="指标数据")
    errors = [p.text() for unit in units
              for p in blocking(r.inputs.findings, unit, year, allow_missing=allow_missing)]
    if errors:
        raise InvalidData(f"“{r.area.area}”汇总", list(dict.fromkeys(errors)))
    return [p.text() for p in r.inputs.findings.warnings]


_LEAD = {"sum": "共", "mean": "平均", "weighted_mean": "总体", "derived": "总体",
         "max": "最高", "min": "最低"}


def lead(m: Metric) -> str:
    """共 / 平均 / 总体 …: how the area's figure was formed from the units'."""
    return _LEAD.get(hierarchy.rule(m.ind), "")


@dataclass(frozen=True)
class Miss:
    """A member that missed its target on one indicator."""

    unit: str
    m: Metric


class Helpers:
    """Functions the roll-up templates call (bound to one roll-up and year)."""

    def __init__(self, r: Rollup, year: int) -> None:
        self.r, self.year = r, year
        self.units = members_in(r, year)
        self.by_unit = {u: metrics_for(r.facts, r.pack, u, year, r.inputs.workbook.targets)
                        for u in self.units}

    def values(self, key: str) -> list[tuple[str, Metric]]:
        return [(u, ms[key]) for u, ms in self.by_unit.items() if ms[key].value is not None]

    def best(self, key: str) -> str:
        """其中X县最高，为N (the best unit; ties named together); "" without a direction."""
        ind = self.r.pack.indicator(key)
        have = self.values(key)
        if ind.higher_is_better is None or len(have) < 2:
            return ""
        shown = [(u, m.shown(m.value)) for u, m in have]
        top = max(v for _, v in shown) if ind.higher_is_better else min(v for _, v in shown)
        names = [u for u, v in shown if v == top]
        if len(names) == len(shown) or len(names) > 3:
            return ""  # no single leader worth naming
        word = "最高" if ind.higher_is_better else "最低"
        m = dict(have)[names[0]]
        return f"其中{'、'.join(names)}{word}，为{qty(m)}"

    def misses(self, key: str) -> list[Miss]:
        return [Miss(u, m) for u, m in self.values(key) if m.met is False]

    def met_count(self, key: str) -> tuple[int, int]:
        """(units meeting the target, units with a target and a value)."""
        judged = [m for _, m in self.values(key) if m.met is not None]
        return sum(1 for m in judged if m.met), len(judged)

    def met_line(self, key: str) -> str:
        """全部8个县（区）均达到目标 / 6个县（区）达到目标; "" without targets."""
        met, n = self.met_count(key)
        if n == 0:
            return ""
        noun = self.r.noun
        every = n == len(self.units)
        if met == n:
            if n == 1:
                return "达到目标"
            return f"{n}个{noun}均达到目标" if every else f"已报数据的{n}个{noun}均达到目标"
        if met == 0:
            return f"各{noun}均未达到目标" if every else f"已报数据的{n}个{noun}均未达到目标"
        return f"{met}个{noun}达到目标"

    def miss_line(self, key: str) -> str:
        """白鹭县（85.2%）、松岭县（88.1%）低于90%的目标值; "" when none missed."""
        misses = self.misses(key)
        if not misses:
            return ""
        ind = self.r.pack.indicator(key)
        if len(misses) > MAX_NAMED:  # name the furthest behind, count the rest
            worst = sorted(misses, key=lambda x: (x.m.completion or 0, x.m.value)
                           if x.m.relation != "cap" else (-(x.m.value or 0), 0))[:3]
            listed = (f"{len(misses)}个{self.r.noun}未达到目标，其中"
                      + "、".join(f"{x.unit}（{qty(x.m)}）" for x in worst) + "差距较大")
            return listed if len(misses) < len(self.units) else \
                f"各{self.r.noun}均未达到目标，其中" + listed.split("其中", 1)[1]
        listed = "、".join(f"{x.unit}（{qty(x.m)}）" for x in misses)
        targets = {x.m.target for x in misses}
        if len(targets) == 1:
            t = misses[0].m
            goal = phrasing.fmt_qty(t.target, ind.unit, measure_word=ind.measure_word,
                                    decimals=ind.decimals or 0) if ind.kind != "rate" \
                else phrasing.fmt_pct(t.target, ind.decimals or 0)
            verb = "超出" if t.relation == "cap" else "未达到"
            return f"{listed}{verb}{goal}的{'控制' if t.relation == 'cap' else ''}目标"
        return f"{listed}未达到各自的年度目标"

    def missed_units(self) -> list[str]:
        """Members that missed at least one scored or matrix target, in order."""
        keys = self.r.spec.matrix or [w.key for w in self.r.spec.weights]
        out = []
        for u, ms in self.by_unit.items():
            if any(ms[k].met is False for k in keys):
                out.append(u)
        return out

    def zero(self, m: Metric) -> bool:
        """A count of incidents that stayed at zero across the area (全市未发生…)."""
        return m.ind.higher_is_better is False and m.value == 0

    @staticmethod
    def pts(x: float) -> str:
        """A score or score change as printed: one decimal, a whole number without it."""
        return phrasing.fmt_number(x, 1)

    def globals(self) -> dict:
        return {"pts": self.pts, "lead": lead, "best": self.best, "misses": self.misses,
                "met_line": self.met_line, "miss_line": self.miss_line,
                "met_count": self.met_count, "zero": self.zero}


def context(r: Rollup, year: int, root: Path | None = None, *, form: str = "书面",
            helpers: Helpers | None = None) -> dict:
    """Everything a roll-up template may read."""
    if form not in FORMS:
        raise HuibaoError(f"汇报形式“{form}”无法识别，应为{'或'.join(FORMS)}。")
    preflight(r, year)
    helpers = helpers or Helpers(r, year)
    table = standings(r.facts, r.pack, r.members, year, r.weights())
    field = ranked_field(r.facts, r.pack, r.members, year, r.weights())
    ranked = [s for s in table if s.rank is not None]
    boiler = boilerplate(year, r.pack, root)
    groups = selected_groups(r.pack, None)
    problems = []
    for key, g in groups.items():
        keys = [k for k in r.spec.matrix if r.pack.indicator(k).group == key]
        lines = [(r.pack.indicator(k), helpers.miss_line(k)) for k in keys]
        lines = [(ind, text) for ind, text in lines if text]
        if lines:
            problems.append({"group": key, "title": g.title, "lines": lines})
    return {
        "area": {"name": r.area.area, "scope": r.area.scope, "signatory": r.area.signatory,
                 "superior": r.area.superior},
        "year": year, "pack": r.pack, "groups": groups, "noun": r.noun,
        "units": helpers.units, "n_units": len(helpers.units),
        "m": metrics_for(r.facts, r.pack, r.area.area, year),
        "headline": r.spec.headline, "matrix_keys": r.spec.matrix,
        "weights": [(r.pack.indicator(w.key).name, w.weight) for w in r.spec.weights],
        "standings": table, "field": field, "ranked": ranked,
        "unranked": [s for s in table if s.rank is None],
        "top": [s for s in ranked if s.rank is not None and s.rank <= 3],
        "improved": most_improved(table), "spread": spread(table),
        "rank_risers": sorted((s for s in table if (s.rank_move or 0) > 0),
                              key=lambda s: -(s.rank_move or 0))[:2],
        "missed_units": helpers.missed_units(), "problems": problems,
        "all_missed": len(helpers.missed_units()) == len(helpers.units),
        "boiler": boiler, "guiding": boiler.get("guiding", ""),
        "doc": {"form": form, "addressee": r.area.addressee},
        **helpers.globals(),
    }


# -- exhibits ------------------------------------------------------------------------------


def _fmt(value: float | None, decimals: int) -> str:
    return "【待填】" if value is None else phrasing.fmt_number(value, decimals)


def ranking_table(table: list[Standing], year: int, noun: str, name: str,
                  field: Field | None = None) -> Table:
    """名次, 单位, 综合得分, 上年得分, 较上年, 上年名次 (the rank each unit actually had)."""
    rows = []
    for s in table:
        rank = "—" if s.rank is None else (f"{s.rank}（并列）" if s.tie else str(s.rank))
        prev = "—" if s.prev_rank is None else (
            f"{s.prev_rank}（并列）" if s.prev_tie else str(s.prev_rank))
        delta = "—" if s.delta is None else (
            "持平" if s.delta == 0 else f"{'+' if s.delta > 0 else '-'}{abs(s.delta):.1f}")
        rows.append([rank, s.unit, _fmt(s.score, 1), _fmt(s.prev_score, 1), delta, prev])
    notes = ["注：综合得分为本系统按汇总设置的指标权重内部测算，满分100分，仅用于内部比较；"
             "“【待填】”表示有计分指标缺少数据，未参与排名。" + prev_rank_note(year, noun, field)]
    return Table(f"{year}年各{noun}{name}工作综合得分排名（内部测算）",
                 ["名次", "单位", "综合得分", f"{year - 1}年得分", "较上年", f"{year - 1}年名次"],
                 rows, notes=notes)


def prev_rank_note(year: int, noun: str, field: Field | None) -> str:
    """What the 上年名次 column is: last year's actual rank, among last year's field."""
    last = year - 1
    text = f"“{last}年名次”为{last}年按同一办法测算的实际名次"
    if field is None or field.same:
        return text + "。"
    text += f"（{last}年参与排名的为{len(field.before)}个{noun}，{year}年为{len(field.now)}个"
    if field.only_before:
        text += f"；{'、'.join(field.only_before)}{year}年未参与排名"
    if field.only_now:
        text += f"；{'、'.join(field.only_now)}{last}年未参与排名"
    return text + "），两年参与排名的单位不同，名次升降不作比较。"


def totals_table(r: Rollup, year: int, h: Helpers) -> Table:
    """The area's figures: indicator, unit, last year, this year, change, how formed, met."""
    ms = metrics_for(r.facts, r.pack, r.area.area, year)
    keys = list(dict.fromkeys(r.spec.headline + r.spec.matrix))
    rows = []
    for key in keys:
        m = ms[key]
        met, n = h.met_count(key)
        d = m.ind.decimals or 0
        rows.append([m.name, m.ind.unit, _fmt(m.prev, d), _fmt(m.value, d), change_cell(m),
                     lead(m) or "—", f"{met}/{n}" if n else "—"])
    notes = ["注：“汇总方式”中“共”为各单位合计，“平均”为算术平均，“总体”为由合计数重新计算"
             "的比率；“达标单位”为达到本单位年度目标的单位数/有目标的单位数。"]
    return Table(f"{r.area.scope}{year}年{r.pack.name}主要指标汇总",
                 ["指标", "单位", f"{year - 1}年", f"{year}年", "较上年", "汇总方式", "达标单位"],
                 rows, notes=notes)


def build_exhibits(r: Rollup, year: int, folder: Path, table: list[Standing], h: Helpers,
                   only: set[str] | None = None) -> dict[str, Block | None]:
    """Charts and tables of the roll-up (only those named in ``only`` are drawn)."""
    folder.mkdir(parents=True, exist_ok=True)
    font = resolve_cjk_font()
    # Templates may place a chart for any indicator; those the pack does not draw are None.
    out: dict[str, Block | None] = {f"{kind}_{i.key}": None for kind in ("compare", "trend")
                                    for i in r.pack.indicators}
    units = h.units
    noun = r.noun

    def wanted(key: str) -> bool:
        return only is None or key in only

    if wanted("scores"):
        scored = [s for s in table if s.score is not None]
        out["scores"] = Figure(charts.bar_compare(
            [s.unit for s in scored], [s.score for s in scored], folder / "scores.png",
            ylabel="综合得分（分）", decimals=1, font=font),
            f"{year}年各{noun}{r.pack.name}工作综合得分（内部测算）") if scored else None
    this = r.facts[(r.facts["year"] == year) & r.facts["unit"].isin(units)]
    for key in r.spec.compare:
        name = f"compare_{key}"
        if not wanted(name):
            continue
        ind = r.pack.indicator(key)
        rows = this[this["key"] == key].set_index("unit")
        values = [None if u not in rows.index or pd.isna(rows.at[u, "value"])
                  else float(rows.at[u, "value"]) for u in units]
        targets = {float(t) for t in rows["target"].dropna()}
        target = targets.pop() if len(targets) == 1 else None
        unit = "%" if ind.kind == "rate" else ind.unit
        out[name] = Figure(charts.bar_compare(
            units, values, folder / f"{name}.png", ylabel=f"{ind.name}（{unit}）",
            target=target, decimals=ind.decimals, font=font),
            f"{year}年各{noun}{ind.name}" + ("（虚线为目标值）" if target is not None else ""))
    first = year - TREND_YEARS + 1
    for key in r.spec.trends:
        name = f"trend_{key}"
        if not wanted(name):
            continue
        ind = r.pack.indicator(key)
        rows = r.facts[(r.facts["key"] == key) & r.facts["unit"].isin(units)
                       & r.facts["year"].between(first, year)]
        frame = rows.pivot_table(index="year", columns="unit", values="value",
                                 aggfunc="first").reindex(columns=units)
        if len(frame.index) < 2:
            out[name] = None
            continue
        unit = "%" if ind.kind == "rate" else ind.unit
        lo, hi = int(frame.index.min()), int(frame.index.max())
        out[name] = Figure(charts.small_multiples(
            frame, folder / f"{name}.png", ylabel=f"{ind.name}（{unit}）",
            decimals=ind.decimals, target=ind.target, font=font),
            f"各{noun}{phrasing.fmt_year_range(lo, hi)}{ind.name}")
    if wanted("matrix") and r.spec.matrix:
        names = [r.pack.indicator(k).name for k in r.spec.matrix]
        comp = pd.DataFrame(index=names, columns=units, dtype="float64")
        met = pd.DataFrame(index=names, columns=units, dtype="object")
        for key, name in zip(r.spec.matrix, names, strict=True):
            rows = this[this["key"] == key].set_index("unit")
            for u in units:
                if u in rows.index:
                    comp.at[name, u] = _matrix_cell(r.pack.indicator(key), rows.loc[u])
                    met.at[name, u] = None if pd.isna(rows.at[u, "met"]) else bool(
                        rows.at[u, "met"])
        out["matrix"] = Figure(charts.completion_matrix(comp, met, folder / "matrix.png",
                                                        font=font),
                               f"{year}年各{noun}主要指标目标完成情况"
                               "（数量为完成率，比率为实际值）")
    if wanted("ranking"):
        out["ranking"] = ranking_table(table, year, noun, r.pack.name,
                                       ranked_field(r.facts, r.pack, r.members, year,
                                                    r.weights()))
    if wanted("totals"):
        out["totals"] = totals_table(r, year, h)
    return out


def _matrix_cell(ind, row: pd.Series) -> float:
    """A matrix cell: a quantity's completion (value ÷ target), a rate's own value (rates
    compare in points, never as a share of their target); a cap shows only its colour."""
    if row["relation"] == "cap" or pd.isna(row["value"]):
        return float("nan")
    if ind.kind in ("rate", "score"):
        return float(row["value"])
    return float(row["completion"]) if pd.notna(row["completion"]) else float("nan")


# -- the document --------------------------------------------------------------------------


def template_path(r: Rollup, document: str, root: Path | None = None) -> Path:
    own = r.pack.folder / f"汇总{document}.md.j2" if r.pack.folder else None
    if own is not None and own.is_file():
        return own
    return config.area_templates_dir(root) / f"{document}.md.j2"


def build_document(r: Rollup, year: int, figures_dir: Path, *, document: str = "工作总结",
                   doc_date: str | dt.date | None = None, root: Path | None = None,
                   form: str = "书面") -> Document:
    """The area's ``document`` as an outline (the shared build tail, ``build.build``)."""
    kind = kinds.kind(kinds.AREA, document)
    return build(kind, AreaSubject(r, year, root, form=form), year, figures_dir,
                 doc_date=doc_date)


class AreaSubject:
    """The area's roll-up for one year, made ready for the build tail (``kinds.Subject``)."""

    def __init__(self, r: Rollup, year: int, root: Path | None = None, *,
                 form: str = "书面") -> None:
        self.r, self.year, self.root, self.form = r, year, root, form
        self.pack, self.name = r.pack, r.area.area
        self.signatory, self.default_date = r.area.signatory, r.area.doc_date
        self.helpers = Helpers(r, year)
        self._context: dict | None = None

    def context(self) -> dict:
        if self._context is None:
            self._context = context(self.r, self.year, self.root, form=self.form,
                                    helpers=self.helpers)
        return self._context

    def template(self, document: str) -> Path:
        return template_path(self.r, document, self.root)

    def own_texts(self) -> list[str]:
        return []   # the area's words are its template's; units speak in their own documents

    def numbers(self) -> dict[str, dict]:
        return {}   # an analyst's edits of the area's figures are not checked for staleness

    def fallbacks(self) -> list[str]:
        return []

    def exhibits(self, folder: Path, only: set[str]) -> dict[str, Block | None]:
        return build_exhibits(self.r, self.year, folder, self.context()["standings"],
                              self.helpers, only=only)

    def key_table(self) -> pd.DataFrame:
        return standings_frame(self.r, self.year)

    def headline(self) -> str:
        return headline(self.r, self.year)


class AreaScope:
    """The area above the units: one subject, its documents built from every member's."""

    name = kinds.AREA

    def targets(self, inputs: Inputs, year: int, root: Path) -> list[str]:
        try:
            return [load_area(inputs.pack.campaign, root).area]
        except HuibaoError:  # refused when planned, with the reason
            return [UNNAMED]

    def plan(self, inputs: Inputs, target: str, year: int, root: Path, *,
             allow_missing: bool, strict: bool = False) -> kinds.Planned:
        r = load(inputs.pack.campaign, None, root, inputs=inputs)
        warnings = tuple(preflight(r, year))
        wb = inputs.workbook
        data = {u: wb.rows_for(u) for u in wb.units["unit"]}
        return kinds.Planned(warnings, data, members=tuple(members_in(r, year)),
                             settings=r.area.model_dump(mode="json"),
                             templates=(config.area_templates_dir(root),))

    def peers(self, inputs: Inputs, year: int, group: object) -> str:
        return ""  # its data already covers every unit

    def prepare(self, inputs: Inputs, target: str, year: int, root: Path,
                **options: object) -> AreaSubject:
        return AreaSubject(load(inputs.pack.campaign, None, root, inputs=inputs), year, root,
                           form=str(options.get("form") or "书面"))


def standings_frame(r: Rollup, year: int) -> pd.DataFrame:
    """The ranking as a frame (for the notebook)."""
    table = standings(r.facts, r.pack, r.members, year, r.weights())
    return pd.DataFrame([{"名次": s.rank, "单位": s.unit, "综合得分": s.score,
                          f"{year - 1}年得分": s.prev_score, "较上年": s.delta,
                          f"{year - 1}年名次": s.prev_rank,
                          "缺少数据": "、".join(s.missing)} for s in table])


def headline(r: Rollup, year: int) -> str:
    """Key lines for nbval: the area's figures and the ranking."""
    ms = metrics_for(r.facts, r.pack, r.area.area, year)
    lines = [f"{r.area.area}{year}年（{len(members_in(r, year))}个{r.noun}）"]
    for key in r.spec.headline:
        m = ms[key]
        lines.append(f"{m.name}：{lead(m)}{qty(m)}")
    for s in standings(r.facts, r.pack, r.members, year, r.weights()):
        lines.append(f"{s.rank or '—'} {s.unit} {_fmt(s.score, 1)}")
    return "\n".join(lines)


kinds.registry.register_scope(AreaScope())
