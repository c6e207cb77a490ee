"""The one reader of the YAML files offices edit, and the one translator of their errors.

Packs, parameter files, roll-up settings, shared wording and the layout profile are all
YAML a person types. Each is read here, so a syntax error, a wrong encoding or a list
where a mapping belongs is reported the same way (file, line, column, in Chinese), and
pydantic's validation errors become one Chinese line naming each field.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from huibao.errors import PackError


def read_yaml(path: Path, *, missing_ok: bool = False) -> dict[str, Any]:
    """The mapping in ``path``; an empty file is ``{}``.

    ``missing_ok``: a file that does not exist is ``{}`` too (optional layers).
    Raises PackError naming the file (and line and column of a syntax error).
    """
    path = Path(path)
    try:
        st = path.stat()
        stamp = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = None
    if stamp is not None and stamp in _parsed:
        return copy.deepcopy(_parsed[stamp])   # callers may change what they get
    data = _read(path, missing_ok)
    if stamp is not None:
        if len(_parsed) >= _PARSED_SIZE:
            _parsed.pop(next(iter(_parsed)))
        _parsed[stamp] = copy.deepcopy(data)
    return data


# Parsed files by (path, modification time, size): a worker process reads the same pack,
# parameter and layout files for every document it makes.
_parsed: dict[tuple, dict[str, Any]] = {}
_PARSED_SIZE = 256


def _read(path: Path, missing_ok: bool) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise PackError(str(path), "文件不存在") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(str(path), f"无法读取（{exc}），请确认是 UTF-8 编码的文本文件") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行第{mark.column + 1}列" if mark else ""
        problem = getattr(exc, "problem", None)
        raise PackError(str(path), f"YAML 语法错误{where}" + (f"（{problem}）" if problem
                                                           else "")) from None
    except ValueError as exc:  # an impossible date such as 2025-02-30, read as a date
        raise PackError(str(path), f"无法识别的值：{exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PackError(str(path), "内容应为键值映射（顶层应为“名称: 值”的形式）")
    return data


_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "是未知字段（拼写错误？）",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
    "string_too_short": "不能为空",
    "dict_type": "应为键值表（映射）",
    "model_type": "应为键值表（映射）",
    "list_type": "应为列表",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
    "literal_error": "应为以下之一：{expected}",
    "date_from_datetime_parsing": "应为日期，如 2025-12-26",
    "date_parsing": "应为日期，如 2025-12-26",
    "date_type": "应为日期，如 2025-12-26",
}


def describe(error: Mapping[str, Any]) -> str:
    """One pydantic error as 字段 X 应为…（当前值：…）."""
    field = ".".join(str(p) for p in error["loc"]) or "（根）"
    ctx = error.get("ctx") or {}
    template = _MESSAGES.get(error["type"])
    if template:
        ctx = {k: str(v).replace(" or ", "、") for k, v in ctx.items()}
        problem = template.format(**ctx) if ctx else template
    elif error["type"] == "value_error":
        problem = str(ctx.get("error", error["msg"]))
    else:
        problem = f"取值无效（{error['msg']}）"
    quiet = error["type"] in {"missing", "extra_forbidden"}
    shown = "" if quiet else f"（当前值：{error['input']!r}）"
    return f"字段 {field} {problem}{shown}"


def explain(exc: ValidationError) -> str:
    """pydantic's errors as one Chinese line: 字段 a 应为…；字段 b …"""
    return "；".join(describe(e) for e in exc.errors())
