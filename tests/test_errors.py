"""Every error class survives pickling (errors cross worker processes) and renders Chinese."""

from __future__ import annotations

import pickle

import pytest

from huibao.errors import (
    ChartError,
    DataError,
    HuibaoError,
    InvalidData,
    PackError,
    RenderError,
    RunError,
    UnknownNameError,
)

CASES = [
    HuibaoError("出错了"),
    PackError("templates/x/indicators.yaml", "缺少 name"),
    DataError("无法识别为数值", file="a.xlsx", sheet="指标数据", row=12, column="注册志愿者（名）",
              value="三百", expected="数值"),
    UnknownNameError("创建类别", "nope", ["wenming_city"]),
    InvalidData("单位“示例县”", ["第7行：无法识别为数值。"] * 7),
    ChartError("缺少字形"),
    RenderError("工作总结.md.j2", "第3行：未定义变量"),
    RunError("示例县", "work_summary.ipynb", "ValueError: x", cell_index=4),
]


@pytest.mark.parametrize("exc", CASES, ids=lambda e: type(e).__name__)
def test_error_survives_pickling_with_its_message(exc: HuibaoError) -> None:
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc)
    assert str(back) == str(exc)
    assert vars(back) == vars(exc)


def test_data_error_names_file_sheet_row_column_value_and_expectation() -> None:
    msg = str(CASES[2])
    for part in ("a.xlsx", "指标数据", "第12行", "注册志愿者（名）", "三百", "应为数值"):
        assert part in msg


def test_unknown_name_lists_what_exists() -> None:
    assert "wenming_city" in str(CASES[3])
