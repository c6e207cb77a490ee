"""`huibao run` executes the notebook through papermill and keeps it as provenance."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from huibao.cli import app
from huibao.errors import HuibaoError, RunError
from huibao.runner import run_unit


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(tmp_path))
    return tmp_path


def test_run_writes_the_document_and_keeps_the_executed_notebook(out: Path, root: Path) -> None:
    result = run_unit("示例县", 2025, "wenming_city", data_path="data/wenming_city_sample.xlsx",
                      doc_date="2025-12-26", root=root)
    folder = out / "2025" / "wenming_city" / "示例县"
    assert result.document == folder / "工作总结.docx"
    assert result.notebook == folder / "工作总结.ipynb"
    d = docx.Document(str(result.document))
    assert d.paragraphs[0].text == "示例县2025年创建全国文明城市工作总结"
    assert any(p.text == "2025年12月26日" for p in d.paragraphs)
    nb = json.loads(result.notebook.read_text(encoding="utf-8"))
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and "示例县" in "".join(injected[0]["source"]).encode().decode(
        "unicode_escape")
    assert all(c.get("outputs") is not None for c in nb["cells"] if c["cell_type"] == "code")
    assert len(list((folder / "figures").glob("*.png"))) == 3


def test_failing_unit_names_the_cell_and_leaves_no_document(out: Path, root: Path) -> None:
    with pytest.raises(RunError) as info:
        run_unit("不存在县", 2025, "wenming_city", data_path="data/wenming_city_sample.xlsx",
                 root=root)
    assert "单元格" in str(info.value) and "单位信息" in str(info.value)
    folder = out / "2025" / "wenming_city" / "不存在县"
    assert (folder / "工作总结.ipynb").is_file()  # the failed notebook stays for diagnosis
    assert not (folder / "工作总结.docx").exists()


@pytest.mark.parametrize("unit", ["../x", "a/b", ".."])
def test_unit_names_cannot_escape_the_output_folder(out: Path, root: Path, unit: str) -> None:
    with pytest.raises(HuibaoError, match="路径字符"):
        run_unit(unit, 2025, "wenming_city", data_path="data/wenming_city_sample.xlsx",
                 root=root)


def test_cli_reports_bad_input_in_one_chinese_line(out: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--unit", "示例县", "--data", "data/nope.xlsx"])
    assert result.exit_code == 1
    assert "找不到数据文件" in result.output
    assert "Traceback" not in result.output


def test_every_command_has_help_with_an_example_or_description() -> None:
    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        assert command.callback.__doc__, f"{name} has no help text"
        assert runner.invoke(app, [name, "--help"]).exit_code == 0


def test_cli_checks_unit_and_year_before_starting_a_kernel(out: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--unit", "示例县", "--year", "2030"])
    assert result.exit_code == 1
    assert "没有2030年的指标数据" in result.output and "2025年" in result.output
    assert not (out / "2030").exists()  # nothing written, not even an error notebook
