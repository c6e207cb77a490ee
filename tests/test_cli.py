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
