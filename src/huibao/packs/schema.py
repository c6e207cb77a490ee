"""Campaign packs: load and check ``templates/<campaign>/`` (indicator schema and charts).

A pack is data, not code: adding a campaign means adding a folder. Loading validates the
YAML with pydantic and cross-checks references (groups, parents, derivations), so a typo in
a pack fails at load time with a Chinese message naming the file and field.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from huibao.errors import PackError, UnknownNameError
from huibao.yamlfile import explain, read_yaml

Kind = Literal["count", "amount", "money", "rate", "score", "rank", "bool"]
# How a unit with units below it (上级单位 in 单位信息) gets an indicator from them;
# ``own``: not rolled up, the unit's own figure. See ``huibao.facts.hierarchy``.
Rollup = Literal["sum", "mean", "weighted_mean", "max", "min", "own"]
ROLLUP_LABEL = {"sum": "合计", "mean": "平均", "weighted_mean": "加权平均", "max": "最大值",
                "min": "最小值", "own": "本单位填报", "derived": "由汇总后的分子、分母计算"}
_DEFAULT_ROLLUP: dict[str, str] = {
    "count": "sum", "amount": "sum", "money": "sum", "rate": "mean", "score": "mean",
    "rank": "own", "bool": "min",
}
# Rules that make sense for each kind (a rank is never aggregated; a yes/no is all or any).
_ROLLUPS_FOR_KIND: dict[str, set[str]] = {
    "rank": {"own"}, "bool": {"min", "max", "own"},
}

_DEFAULT_DECIMALS = {
    "count": 0, "rank": 0, "bool": 0, "amount": 1, "score": 1, "rate": 1, "money": 2,
}


class Derive(BaseModel):
    """value = numerator ÷ (denominator × denominator_scale) × 100."""

    model_config = ConfigDict(extra="forbid")
    numerator: str
    denominator: str
    denominator_scale: float = 1.0


class Indicator(BaseModel):
    """One indicator of a campaign's schema."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    unit: str
    measure_word: str | None = None
    kind: Kind
    decimals: int | None = None
    higher_is_better: bool | None = None
    target: float | None = None
    target_relation: Literal["floor", "cap"] | None = None
    group: str
    parent: str | None = None
    derive: Derive | None = None
    required: bool = False
    gap: str | None = None
    zero_label: str | None = None
    rollup: Rollup | None = None      # None: the default of the kind (see ``rollup_rule``)
    rollup_weight: str | None = None  # weighted_mean: the indicator weighing each unit
    # For the collection form and reading it back:
    aliases: list[str] = Field(default_factory=list)  # other headers people use for it
    definition: str | None = None                     # 口径, shown in 填表说明
    owner: str | None = None                          # who fills it (default: pack.owner)

    @model_validator(mode="after")
    def _defaults(self) -> Indicator:
        if self.decimals is None:
            object.__setattr__(self, "decimals", _DEFAULT_DECIMALS[self.kind])
        if self.target_relation is None and self.target is not None:
            relation = "cap" if self.higher_is_better is False else "floor"
            object.__setattr__(self, "target_relation", relation)
        self._check_rollup()
        return self

    def _check_rollup(self) -> None:
        if self.derive is not None and self.rollup is not None:
            raise ValueError(f"指标 {self.key} 是派生指标，由汇总后的分子和分母重新计算，"
                             "不能设 rollup")
        if (self.rollup == "weighted_mean") != (self.rollup_weight is not None):
            raise ValueError(f"指标 {self.key}：rollup: weighted_mean 须同时写 rollup_weight"
                             "（加权所用的指标），其他汇总方式不写 rollup_weight")
        allowed = _ROLLUPS_FOR_KIND.get(self.kind)
        if self.rollup is not None and allowed is not None and self.rollup not in allowed:
            raise ValueError(f"指标 {self.key}（{self.kind}）的 rollup 只能是 "
                             f"{'、'.join(sorted(allowed))}")

    @property
    def rollup_rule(self) -> str:
        """How a parent gets this indicator from its units: the declared rule, else the
        default of the kind; ``derived`` for an indicator computed from its parts."""
        if self.derive is not None:
            return "derived"
        return self.rollup or _DEFAULT_ROLLUP[self.kind]

    @property
    def word(self) -> str:
        """The word printed after the number: the measure word, else the unit."""
        return self.measure_word or self.unit

    @property
    def is_derived(self) -> bool:
        return self.derive is not None

    @property
    def header(self) -> str:
        """Column header in the collection workbook: 中文名称（单位）."""
        return f"{self.name}（{self.unit}）"


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    title: str


class ChartSpec(BaseModel):
    """One chart of a pack; ``kind`` names a function in ``huibao.documents.charts``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    kind: Literal["trend", "bar_compare", "completion"]
    indicators: list[str] = Field(default_factory=list)
    caption: str
    ylabel: str = ""


class TableSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    kind: Literal["target_table"]
    indicators: list[str] = Field(default_factory=list)
    caption: str


class Checks(BaseModel):
    """Thresholds of the plausibility warnings (not errors) in ``validate``."""

    model_config = ConfigDict(extra="forbid")
    jump_ratio: float = 3.0        # a quantity this many times (or 1/this) last year's …
    jump_min: float = 20.0         # … and changed by at least this much
    rate_jump_points: float = 25.0  # a rate moving more than this many points


class Form(BaseModel):
    """Vocabulary of the collection form: drop-down lists and who fills it."""

    model_config = ConfigDict(extra="forbid")
    owner: str = "各填报单位"
    unit_types: list[str] = Field(default_factory=lambda: ["县", "区", "县级市"])
    honour_levels: list[str] = Field(
        default_factory=lambda: ["国家级", "省级", "市级", "县级", "乡镇级"])
    activity_categories: list[str] = Field(default_factory=lambda: [
        "学习教育", "宣传发动", "志愿服务", "环境整治", "慰问帮扶", "文体活动", "共建共创", "培训"])
    system_actions: list[str] = Field(default_factory=lambda: ["出台", "修订", "完善"])


class Exhibits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    charts: list[ChartSpec] = Field(default_factory=list)
    tables: list[TableSpec] = Field(default_factory=list)


class Pack(BaseModel):
    """A campaign pack: metadata, groups, indicators and exhibits."""

    model_config = ConfigDict(extra="forbid")
    campaign: str
    name: str
    short_name: str = ""
    peer_noun: str = "单位"
    # Peer nouns of the levels of 上级单位, top first (中心, 所, 站): a unit is compared with
    # the units of its own level; a level without a noun here uses ``peer_noun``.
    levels: list[str] = Field(default_factory=list)
    addressee: str = ""            # who a written 汇报材料 goes to (市文明办); default: superior
    edition: str = ""
    source: str = ""
    groups: list[Group]
    indicators: list[Indicator]
    exhibits: Exhibits = Field(default_factory=Exhibits)
    form: Form = Field(default_factory=Form)
    checks: Checks = Field(default_factory=Checks)
    folder: Path | None = None

    @model_validator(mode="after")
    def _cross_check(self) -> Pack:
        keys = [i.key for i in self.indicators]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"指标键重复：{'、'.join(dupes)}")
        group_keys = {g.key for g in self.groups}
        known = set(keys)
        for ind in self.indicators:
            if ind.group not in group_keys:
                raise ValueError(f"指标 {ind.key} 的分组 {ind.group} 未在 groups 中定义")
            refs = [ind.parent] if ind.parent else []
            if ind.derive:
                refs += [ind.derive.numerator, ind.derive.denominator]
            for ref in refs:
                if ref not in known:
                    raise ValueError(f"指标 {ind.key} 引用了不存在的指标 {ref}")
            self._check_weight(ind, known)
        for spec in [*self.exhibits.charts, *self.exhibits.tables]:
            for ref in spec.indicators:
                if ref not in known:
                    raise ValueError(f"图表 {spec.key} 引用了不存在的指标 {ref}")
        return self

    def _check_weight(self, ind: Indicator, known: set[str]) -> None:
        weight = ind.rollup_weight
        if weight is None:
            return
        if weight not in known:
            raise ValueError(f"指标 {ind.key} 的 rollup_weight 引用了不存在的指标 {weight}")
        kind = next(i.kind for i in self.indicators if i.key == weight)
        if kind in ("rank", "bool"):
            raise ValueError(f"指标 {ind.key} 的 rollup_weight {weight} 是{kind}型指标，"
                             "不能作为权重")

    def level_noun(self, level: int) -> str:
        """The peer noun of units at depth ``level`` of the hierarchy (0: top)."""
        return self.levels[level] if 0 <= level < len(self.levels) else self.peer_noun

    @cached_property
    def by_key(self) -> dict[str, Indicator]:
        return {i.key: i for i in self.indicators}

    def indicator(self, key: str) -> Indicator:
        try:
            return self.by_key[key]
        except KeyError:
            raise UnknownNameError("指标", key, list(self.by_key)) from None

    def in_group(self, group: str) -> list[Indicator]:
        return [i for i in self.indicators if i.group == group]

    @property
    def collected(self) -> list[Indicator]:
        """Indicators read from the workbook (derived ones are computed)."""
        return [i for i in self.indicators if not i.is_derived]

    def template_path(self, document: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{document}.md.j2"


def list_packs(templates: Path) -> list[str]:
    """Campaign keys available under ``templates/`` (folders holding indicators.yaml)."""
    return sorted(p.parent.name for p in templates.glob("*/indicators.yaml"))


_FORM_FIELDS = {"definition", "owner", "aliases"}


def _merge_form(data: dict, form: dict, path: Path) -> None:
    """Fold form.yaml (collection-form settings, per-indicator 口径/aliases) into the pack."""
    unknown = sorted(set(form) - {"form", "indicators"})
    if unknown:
        raise PackError(str(path), f"未知的项：{'、'.join(unknown)}（可用：form、indicators）")
    if "form" in form:
        data["form"] = form["form"]
    extra = form.get("indicators") or {}
    by_key = {i.get("key"): i for i in data.get("indicators", []) if isinstance(i, dict)}
    for key, fields in extra.items():
        if key not in by_key:
            raise PackError(str(path), f"indicators.{key}：indicators.yaml 中没有这个指标")
        if not isinstance(fields, dict) or set(fields) - _FORM_FIELDS:
            raise PackError(str(path), f"indicators.{key}：只能包含 "
                            f"{'、'.join(sorted(_FORM_FIELDS))}")
        by_key[key].update(fields)


def load_pack(campaign: str, templates: Path) -> Pack:
    """Load ``templates/<campaign>/`` into a checked :class:`Pack`."""
    folder = templates / campaign
    path = folder / "indicators.yaml"
    if not path.is_file():
        raise UnknownNameError("创建类别", campaign, list_packs(templates))
    data = read_yaml(path)
    exhibits_path = folder / "charts.yaml"
    if exhibits_path.is_file():
        data["exhibits"] = read_yaml(exhibits_path)
    form_path = folder / "form.yaml"
    if form_path.is_file():
        _merge_form(data, read_yaml(form_path), form_path)
    try:
        return Pack(**data, folder=folder)
    except ValidationError as exc:
        raise PackError(str(path), explain(exc)) from None
