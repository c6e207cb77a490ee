"""Parameters: defaults, then the unit's file, then the command line; files are data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from huibao.app.cli import app
from huibao.errors import PackError
from huibao.packs import params


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    campaign = tmp_path / "params" / "wenming_city"
    campaign.mkdir(parents=True)
    (campaign / "defaults.yaml").write_text(
        "year: 2025\ndata_path: data/a.xlsx\ndocument: 工作总结\n", encoding="utf-8")
    (campaign / "甲县.yaml").write_text(
        "doc_date:\n  2024: 2024-12-20\n  2025: 2025-12-26\n", encoding="utf-8")
    return tmp_path / "params"


def test_unit_file_overrides_defaults_and_overrides_win(folder: Path) -> None:
    assert params.merged(folder, "wenming_city", "甲县") == {
        "year": 2025, "data_path": "data/a.xlsx", "document": "工作总结",
        "doc_date": "2025-12-26"}
    got = params.merged(folder, "wenming_city", "甲县", {"year": 2024, "doc_date": None})
    assert got["year"] == 2024 and got["doc_date"] == "2024-12-20"
    assert params.merged(folder, "wenming_city", "乙县")["data_path"] == "data/a.xlsx"
    assert params.merged(folder, "wenming_city")["year"] == 2025


def test_files_lists_the_files_that_apply_in_merge_order(folder: Path) -> None:
    names = [p.name for p in params.files(folder, "wenming_city", "甲县")]
    assert names == ["defaults.yaml", "甲县.yaml"]


@pytest.mark.parametrize(("text", "message"), [
    ("doc_date: 2025-02-30\n", "无法识别的值"),
    ("colour: red\n", "未知参数：colour"),
    ("year: 二〇二五\n", "year 应为年份数字"),
    ("data_path: ../../etc/passwd\n", "指向项目目录之外"),
    ("data_path: /etc/passwd\n", "指向项目目录之外"),
    ("- a\n- b\n", "内容应为键值映射"),
])
def test_bad_parameter_files_are_named_with_the_problem(folder: Path, text: str,
                                                        message: str) -> None:
    (folder / "wenming_city" / "甲县.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PackError, match=message) as info:
        params.merged(folder, "wenming_city", "甲县")
    assert "甲县.yaml" in str(info.value)


def test_unit_names_are_not_paths_to_other_parameter_files(folder: Path) -> None:
    with pytest.raises(Exception, match="路径字符"):
        params.merged(folder, "wenming_city", "../wenming_city/defaults")


def test_params_command_prints_the_merged_yaml_and_its_sources(root: Path) -> None:
    result = CliRunner().invoke(app, ["params", "--unit", "示例县", "--year", "2025"])
    assert result.exit_code == 0, result.output
    header, _, body = result.output.partition("\n")
    assert "defaults.yaml" in header and "示例县.yaml" in header and "命令行" in header
    assert yaml.safe_load(body) == {"year": 2025, "data_path": "data/wenming_city_sample.xlsx",
                                    "document": "工作总结", "doc_date": "2025-12-26",
                                    "addressee": "示例市创建全国文明城市工作指挥部"}
