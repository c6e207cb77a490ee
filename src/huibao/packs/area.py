"""The area's settings: the pack's ``rollup.yaml`` and the office's ``params/<c>/rollup.yaml``.

* ``templates/<campaign>/rollup.yaml`` (the pack): scored indicators with weights and
  methods (``huibao.facts.scoring``), the indicators drawn as sorted bars, small-multiple
  trends and the completion matrix, the level of the units compared.
* ``params/<campaign>/rollup.yaml`` (the office): the area's name (示例市), the scope word
  of the prose (全市), the signatory, its superior and addressee, the document date.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from huibao import config
from huibao.errors import PackError
from huibao.packs.schema import Pack
from huibao.yamlfile import explain, read_yaml

SPEC = "rollup.yaml"
DOCUMENTS = ("工作总结", "汇报材料")
METHODS = ("target", "range")   # scoring methods (huibao.facts.scoring)


class WeightSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    weight: float = Field(gt=0)
    method: str = "target"

    @field_validator("method")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in METHODS:
            raise ValueError(f"method 应为 {'、'.join(METHODS)} 之一")
        return v


class RollupSpec(BaseModel):
    """A pack's ``rollup.yaml``."""

    model_config = ConfigDict(extra="forbid")
    level: str | list[str] | None = None  # unit types compared (所); None: top-level units
    noun: str | None = None           # 县（区）; default: the pack's peer_noun
    weights: list[WeightSpec]
    compare: list[str] = Field(default_factory=list)   # sorted bars with the target line
    trends: list[str] = Field(default_factory=list)    # small multiples over five years
    matrix: list[str] = Field(default_factory=list)    # completion matrix rows
    headline: list[str] = Field(default_factory=list)  # stated first in 基本情况


class AreaParams(BaseModel):
    """``params/<campaign>/rollup.yaml``: who writes the roll-up, about which area."""

    model_config = ConfigDict(extra="forbid")
    area: str                          # 示例市
    scope: str = "全市"                 # 全市 / 全县: the prose's word for the whole area
    signatory: str                     # 示例市文明办
    superior: str = ""                 # 市委、市政府
    addressee: str = ""                # 省文明办 (written 汇报材料)
    doc_date: dt.date | None = None
    documents: list[str] = Field(default_factory=lambda: list(DOCUMENTS))


def load_spec(pack: Pack) -> RollupSpec:
    """The pack's roll-up settings, checked against its indicators."""
    assert pack.folder is not None
    path = pack.folder / SPEC
    if not path.is_file():
        raise PackError(str(path), f"创建类别“{pack.name}”没有汇总设置：请在该文件中写明"
                        "综合得分的指标和权重（weights），参见 templates/README.md")
    try:
        spec = RollupSpec(**read_yaml(path))
    except ValidationError as exc:
        raise PackError(str(path), explain(exc)) from None
    refs = [w.key for w in spec.weights] + spec.compare + spec.trends + spec.matrix \
        + spec.headline
    unknown = [k for k in refs if k not in pack.by_key]
    if unknown:
        raise PackError(str(path), f"引用了不存在的指标：{'、'.join(dict.fromkeys(unknown))}")
    bad = [w.key for w in spec.weights if pack.indicator(w.key).kind == "rank"]
    if bad:
        raise PackError(str(path), f"名次类指标不能计入综合得分：{'、'.join(bad)}")
    return spec


def load_area(campaign: str, root: Path) -> AreaParams:
    path = root / "params" / config.safe_name(campaign) / SPEC
    if not path.is_file():
        raise PackError(str(path), "缺少汇总参数：请写明 area（地区名称，如 示例市）和 "
                        "signatory（署名机关，如 示例市文明办）")
    try:
        area = AreaParams(**read_yaml(path))
    except ValidationError as exc:
        raise PackError(str(path), explain(exc)) from None
    config.safe_name(area.area)
    return area


