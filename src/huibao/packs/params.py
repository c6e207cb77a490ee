"""Per-unit parameters: params/<campaign>/defaults.yaml, then <unit>.yaml, then overrides.

Parameter files are data, like unit names: a ``data_path`` written in them must stay
inside the project folder. The command line's ``--data`` may point anywhere, since the
person typing it decides. Values reach the notebook as literals (papermill writes them
as Python strings and numbers), never as code.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from huibao.config import safe_name
from huibao.errors import PackError

ALLOWED = {"year", "data_path", "doc_date", "document", "documents", "form", "addressee",
           "sections"}
FORMS = ("书面", "迎检")  # a written 汇报材料, or one spoken to an inspection team
DEFAULTS = "defaults.yaml"


def _read(path: Path, root: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PackError(str(path), f"YAML 语法错误：{exc}") from exc
    except ValueError as exc:  # an impossible date such as 2025-02-30, read as a date
        raise PackError(str(path), f"无法识别的值：{exc}") from exc
    if not isinstance(data, dict):
        raise PackError(str(path), "内容应为键值映射")
    unknown = sorted(set(data) - ALLOWED)
    if unknown:
        known = "、".join(sorted(ALLOWED))
        raise PackError(str(path), f"未知参数：{'、'.join(unknown)}（可用：{known}）")
    if "year" in data and (isinstance(data["year"], bool) or not isinstance(data["year"], int)):
        raise PackError(str(path), f"year 应为年份数字，如 2025（当前值：{data['year']}）")
    _check_inside(path, root, data.get("data_path"))
    if data.get("form") not in (None, *FORMS):
        raise PackError(str(path), f"form 应为{'或'.join(FORMS)}（当前值：{data['form']}）")
    for key in ("documents", "sections"):
        value = data.get(key)
        if value is not None and (not isinstance(value, list)
                                  or not all(isinstance(v, str) for v in value)):
            raise PackError(str(path),
                            f"{key} 应为列表，如 [工作总结, 汇报材料]（当前值：{value}）")
    return data


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
