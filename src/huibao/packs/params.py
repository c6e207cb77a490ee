"""Per-unit parameters: params/<campaign>/defaults.yaml, then <unit>.yaml, then overrides.

Parameter files are data, like unit names: a ``data_path`` written in them must stay
inside the project folder. The command line's ``--data`` may point anywhere, since the
person typing it decides. Values reach the notebook as literals (papermill writes them
as Python strings and numbers), never as code.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from huibao.config import safe_name
from huibao.errors import PackError
from huibao.yamlfile import explain, read_yaml

FORMS = ("书面", "迎检")  # a written 汇报材料, or one spoken to an inspection team
DEFAULTS = "defaults.yaml"


class UnitParams(BaseModel):
    """What a parameter file may set. Each field but ``documents`` (the batch's list of
    documents to make) is a parameter of the unit notebook, which a test checks."""

    model_config = ConfigDict(extra="forbid", strict=True)
    year: int | None = None
    data_path: str | list[str] | None = None
    # one date, or one per year; a quoted date is checked when the document is made
    doc_date: dt.date | str | dict[int, dt.date | str | None] | None = None
    document: str | None = None
    documents: list[str] | None = None
    form: Literal["书面", "迎检"] | None = None
    addressee: str | None = None
    sections: list[str] | None = None


BATCH_ONLY = frozenset({"documents"})   # read by the planner, never injected


def _read(path: Path, root: Path) -> dict:
    data = read_yaml(path, missing_ok=True)
    unknown = sorted(set(data) - set(UnitParams.model_fields))
    if unknown:
        known = "、".join(sorted(UnitParams.model_fields))
        raise PackError(str(path), f"未知参数：{'、'.join(unknown)}（可用：{known}）")
    try:
        UnitParams.model_validate(data)
    except ValidationError as exc:
        raise PackError(str(path), _explain(exc, data)) from None
    _check_inside(path, root, data.get("data_path"))
    return data


_EXAMPLES = {"year": "year 应为年份数字，如 2025",
             "documents": "documents 应为列表，如 [工作总结, 汇报材料]",
             "sections": "sections 应为列表，如 [organisation, weisheng]",
             "form": f"form 应为{'或'.join(FORMS)}",
             "doc_date": "doc_date 应为日期，如 2025-12-26"}


def _explain(exc: ValidationError, data: dict) -> str:
    """The first field's problem with an example of a right value, then pydantic's own."""
    field = str(exc.errors()[0]["loc"][0])
    if field in _EXAMPLES:
        return f"{_EXAMPLES[field]}（当前值：{data.get(field)}）"
    return explain(exc)


def _check_inside(path: Path, root: Path, data_path: object) -> None:
    """A data_path from a parameter file must name files inside the project ``root``."""
    for item in data_path if isinstance(data_path, list) else [data_path]:
        if item is None:
            continue
        target = (root / str(item)).resolve()
        if not target.is_relative_to(root):
            raise PackError(str(path), f"data_path“{item}”指向项目目录之外；参数文件中"
                                       "只能写项目内的相对路径（如 data/xxx.xlsx），"
                                       "其他位置的数据请用 --data 指定")


def files(params_dir: Path, campaign: str, unit: str | None = None) -> list[Path]:
    """The parameter files that apply, in merge order (those that exist)."""
    folder = params_dir / safe_name(campaign)
    names = [DEFAULTS] + ([f"{safe_name(unit)}.yaml"] if unit else [])
    return [folder / n for n in names if (folder / n).is_file()]


def merged(params_dir: Path, campaign: str, unit: str | None = None,
           overrides: dict | None = None) -> dict:
    """Merge defaults, the unit's file and non-None overrides, in that order.

    Without ``unit``, the campaign's defaults (with overrides). A ``doc_date`` given per
    year (``{2025: 2025-12-26}``) is resolved for the merged ``year``.
    """
    out: dict = {}
    root = params_dir.parent.resolve()
    for path in files(params_dir, campaign, unit):
        out.update(_read(path, root))
    out.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if isinstance(out.get("doc_date"), dict):
        out["doc_date"] = out["doc_date"].get(out.get("year"))
    if isinstance(out.get("doc_date"), dt.date):
        out["doc_date"] = out["doc_date"].isoformat()
    return out


def to_yaml(params: dict) -> str:
    """``params`` as YAML an analyst can paste into a parameter file."""
    return yaml.safe_dump(params, allow_unicode=True, sort_keys=False, default_flow_style=False)
