"""The CLI's last line of defence: a defect shows one Chinese line, not a traceback."""

from __future__ import annotations

import sys

import pytest

from huibao.app import cli
from huibao.app import data_commands as checking


def test_an_internal_error_is_one_chinese_line(monkeypatch, capsys, sample_path) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(checking, "run_check", broken)
    monkeypatch.setattr(sys, "argv", ["huibao", "check", str(sample_path)])
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 1
    captured = capsys.readouterr()
    assert "内部错误" in captured.err and "boom" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_debug_shows_the_traceback(monkeypatch, sample_path) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(checking, "run_check", broken)
    monkeypatch.setattr(sys, "argv", ["huibao", "check", str(sample_path), "--debug"])
    with pytest.raises(RuntimeError, match="boom"):
        cli.main()


def test_check_lists_each_kind_of_problem_a_few_times_and_all_in_the_report(
        tmp_path, sample_path, root, monkeypatch) -> None:
    """A sheet full of one mistake prints the first ones and a count; --report has them all
    (a sheet with 180,000 problems took minutes and gigabytes to print as one table)."""
    import csv

    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from huibao.app.cli import app

    path = tmp_path / "many.xlsx"
    wb = load_workbook(sample_path)
    ws = wb["指标数据"]
    header = next(i for i, row in enumerate(ws.iter_rows(max_row=10, values_only=True), 1)
                  if "单位" in row)
    bad = 0
    for r in range(header + 1, ws.max_row + 1):
        if ws.cell(r, 1).value is None:
            continue
        for c in range(4, 8):                      # four indicator columns of every row
            ws.cell(r, c).value = "约一百"
            bad += 1
    wb.save(path)
    monkeypatch.setenv("HUIBAO_HOME", str(root))
    result = CliRunner().invoke(app, ["check", str(path), "--limit", "5",
                                      "--report", str(tmp_path / "all.csv")])
    assert result.exit_code == 1, result.output
    assert bad > 20
    assert "约一百" in result.output
    assert "另有" in result.output and "全部问题已写入" in result.output
    with open(tmp_path / "all.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["级别", "文件", "工作表"]
    listed = [r for r in rows[1:] if r[6] == "约一百"]
    assert len(listed) == bad                       # every one, located
    assert all(r[3] and r[4] for r in listed)
    shown = result.output.count("约一百")
    assert shown < bad
