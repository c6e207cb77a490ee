"""``huibao run`` arguments and messages (the batch itself is tested in test_batch*.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from huibao.app.cli import app

WIDE = {"COLUMNS": "300"}  # keep table cells on one line so messages can be matched


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(tmp_path))
    return tmp_path


def test_cli_reports_bad_input_in_one_chinese_line(out: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--unit", "示例县", "--data", "data/nope.xlsx"],
                                env=WIDE)
    assert result.exit_code == 1
    assert "数据有误" in result.output and "找不到数据文件" in result.output
    assert "Traceback" not in result.output


def test_cli_checks_unit_and_year_before_starting_a_kernel(out: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--unit", "示例县", "--year", "2030"], env=WIDE)
    assert result.exit_code == 1
    assert "没有2030年的指标数据" in result.output and "2025年" in result.output
    assert not (out / "2030").exists()  # nothing written, not even a manifest


@pytest.mark.parametrize(("args", "message"), [
    (["--year", "2025"], "请用 --unit 或 --units 指定单位"),
    (["--all", "--unit", "示例县"], "二者选一"),
    (["--unit", "示例县", "--docs", "工作总结,情况报告"],
     "未找到文档类型“情况报告”。可用的有：工作总结、汇报材料"),
    (["--unit", "示例县", "--jobs", "0"], "--jobs 应为正整数"),
    (["--unit", "示例县", "--timeout", "0"], "--timeout 应为正数"),
    (["--units", "示例县,../x"], "不能用作文件或目录名"),
    (["--unit", "示例县", "--campaign", "../x"], "不能用作文件或目录名"),
])
def test_unusable_arguments_exit_2_with_a_chinese_message(out: Path, args: list[str],
                                                          message: str) -> None:
    result = CliRunner().invoke(app, ["run", *args], env=WIDE)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert list(out.iterdir()) == []


def test_every_command_has_help_with_an_example_or_description() -> None:
    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        assert command.callback.__doc__, f"{name} has no help text"
        assert runner.invoke(app, [name, "--help"]).exit_code == 0
