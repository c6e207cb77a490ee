"""Rows the checks refuse whole feed nobody's numbers; one unit's trouble fails that unit.

A row of a unit that is not in 单位信息, or of a unit whose name no output folder can
carry (too long, a control character), is reported by the checks and left out of the
facts: other units' documents neither count it (全市8个县（区）), nor rank against it, nor
draw a bar for it. In a batch, a unit whose folder cannot be written, whose name is long
or holds braces, fails (or succeeds) alone, with a Chinese reason.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from batch_project import (
    WORKBOOK,
    make_project,
    read_manifest,
    rename_unit,
    unit_docx,
)
from openpyxl import load_workbook

from huibao import config
from huibao.documents import charts
from huibao.documents.unit import build_document, context, peer_view
from huibao.facts import loader
from huibao.run.batch import run_batch
from huibao.run.manifest import Status

ROSTER = ["示例县", "云溪区", "桐山县", "白鹭县", "堃湖区", "松岭县", "玉泉区", "梅江县"]
STRANGER = "新城区"   # a county the workbook's 单位信息 does not list
LONG = "云溪" + "区" * 88   # 90 characters, 270 bytes: longer than a file name can be


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(tmp_path / "out"))
    return tmp_path / "out"


def copy_row(path: Path, sheet: str, unit: str, year: int, new_unit: str,
             change: dict[str, object] | None = None) -> int:
    """Append to ``sheet`` a copy of ``unit``'s ``year`` row under ``new_unit``; its row."""
    wb = load_workbook(path)
    ws = wb[sheet]
    headers = {str(c.value).strip(): c.column for c in ws[2] if c.value is not None}
    src = next(r for r in ws.iter_rows(min_row=3)
               if r[0].value == unit and r[1].value == year)
    values = [c.value for c in src]
    values[0] = new_unit
    for header, value in (change or {}).items():
        col = next(j for name, j in headers.items() if name.startswith(header))
        values[col - 1] = value
    ws.append(values)
    wb.save(path)
    return ws.max_row


def stranger_in_the_workbook(project: Path) -> None:
    """新城区 with the best figures of all and the first rank, in 指标数据 and 年度目标."""
    copy_row(project / WORKBOOK, "指标数据", "示例县", 2025, STRANGER,
             {"注册志愿者": 999_999, "全市年度综合排名": 1})
    copy_row(project / WORKBOOK, "指标数据", "示例县", 2024, STRANGER)
    copy_row(project / WORKBOOK, "年度目标", "示例县", 2025, STRANGER)


def stranger_in_a_csv(project: Path) -> None:
    """新城区's rows sent in a CSV beside the workbook (GBK, as offices save them)."""
    wb = load_workbook(project / WORKBOOK)
    ws = wb["指标数据"]
    rows = [[c.value for c in ws[2]]]
    rows += [[STRANGER, *[c.value for c in r[1:]]] for r in ws.iter_rows(min_row=3)
             if r[0].value == "示例县" and r[1].value in (2024, 2025)]
    text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows)
    (project / "data" / "指标数据补报.csv").write_text(text + "\n", encoding="gbk")


def renamed_to_a_long_name(project: Path) -> None:
    """The roster's 云溪区 renamed everywhere to a name no folder can carry."""
    rename_unit(project / WORKBOOK, "云溪区", LONG)


def data_path(project: Path) -> list[str]:
    files = [str(project / WORKBOOK)]
    extra = project / "data" / "指标数据补报.csv"
    return files + ([str(extra)] if extra.exists() else [])


@pytest.mark.parametrize(("make", "refused", "rule"), [
    (stranger_in_the_workbook, STRANGER, "unknown_unit"),
    (stranger_in_a_csv, STRANGER, "unknown_unit"),
    (renamed_to_a_long_name, LONG, "bad_unit_name"),
])
def test_a_refused_unit_is_in_no_count_rank_or_chart_of_another_unit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make, refused: str, rule: str) -> None:
    project = make_project(tmp_path / "p")
    make(project)
    inputs = loader.read_inputs("wenming_city", data_path(project), project)

    found = [p for p in inputs.findings.errors if p.rule == rule]
    assert found and all(p.unit == refused for p in found)
    assert found[0].sheet and found[0].row  # located
    assert inputs.refused == {refused}

    kept = [u for u in ROSTER if u != "云溪区"] if refused == LONG else ROSTER
    peers = peer_view(inputs, 2025, "示例县")
    assert peers["units"] == sorted(kept)
    assert all(refused not in by_unit for by_unit in peers["values"].values())
    assert refused not in set(inputs.facts["unit"])
    this_year = inputs.facts[inputs.facts["year"] == 2025]
    assert this_year["n_ranked"].max() == len(kept)   # ranked among the roster only
    assert context(inputs, "示例县", 2025, project)["n_units"] == len(kept)

    bars: list[list[str]] = []
    real = charts.bar_compare

    def recorded(units, *args, **kw):
        bars.append(list(units))
        return real(units, *args, **kw)

    monkeypatch.setattr(charts, "bar_compare", recorded)
    document = build_document(inputs, "示例县", 2025, tmp_path / "figures", root=project)
    assert bars and all(b == sorted(kept) for b in bars)
    assert f"全市{len(kept)}个县（区）" in document.text()
    assert refused not in document.text()


def test_the_refused_unit_itself_is_refused_with_its_reason(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    stranger_in_the_workbook(project)
    renamed_to_a_long_name(project)
    result = run_batch(2025, units=[STRANGER], allow_missing=True, root=project)
    assert [(r.unit, r.status) for r in result.results] == [(STRANGER, Status.BAD_DATA)]
    assert "不在单位信息表中" in result.results[0].message


@pytest.mark.parametrize(("name", "reason"), [
    ("桐山\x00县", "控制字符"), ("桐山\x0b县", "控制字符"), ("桐山县\x7f", "控制字符"),
    ("县" * 84, "过长"), (".桐山县", "不能以“.”开头"), ("manifest.json", "manifest.json"),
    ("桐山/县", "路径字符"),
])
def test_names_no_folder_can_carry_are_named_with_the_reason(name: str, reason: str) -> None:
    problem = config.unit_name_problem(name)
    assert problem is not None and reason in problem
    assert "\x00" not in problem and "\x0b" not in problem   # shown as \x00, printable


@pytest.mark.parametrize("name", ["县" * 83, "白鹭{县}", "{unit}", "A县（试点）", "桐山 县"])
def test_names_that_fit_are_accepted(name: str) -> None:
    assert config.unit_name_problem(name) is None


# -- a batch with one unit of each kind of trouble ----------------------------------------

BRACES = "玉泉{区}{0}"      # papermill formats its paths with the parameters: {0}, {unit}
FITS = "云溪" + "区" * 78   # 80 characters, 240 bytes: a folder, not with a suffix added
TOO_LONG = "桐山" + "县" * 88
NUL_NAME = "白鹭_x0000_县"  # how Excel stores a NUL in a cell; read as 白鹭\x00县


@contextlib.contextmanager
def read_only(folder: Path):
    """``folder`` made unwritable: by its mode, and for root by the immutable attribute."""
    folder.chmod(0o555)
    immutable = False
    probe = folder / ".probe"
    try:
        probe.touch()
    except PermissionError:
        pass
    else:
        probe.unlink()
        if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)],
                                                     capture_output=True).returncode == 0:
            immutable = True
        else:
            folder.chmod(0o755)
            pytest.skip("cannot make a folder read-only here")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def paragraphs(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_one_units_folder_or_name_fails_only_that_unit(tmp_path: Path, out: Path) -> None:
    project = make_project(tmp_path / "p", ["示例县", "云溪区", "玉泉区", "白鹭县", "桐山县"])
    first = run_batch(2025, units=["示例县"], allow_missing=True, root=project)
    assert first.exit_code == 0
    good = unit_docx(out, "示例县").read_bytes()
    for old, new in (("云溪区", FITS), ("玉泉区", BRACES), ("白鹭县", NUL_NAME),
                     ("桐山县", TOO_LONG)):
        rename_unit(project / WORKBOOK, old, new)

    with read_only(unit_docx(out, "示例县").parent):
        result = run_batch(2025, jobs=2, allow_missing=True, force=True, root=project)

    got = {r.unit: r for r in result.results}
    assert set(got) == {"示例县", FITS, BRACES, TOO_LONG}   # 白鹭\x00县's rows are not read
    assert got[FITS].status is Status.OK, got[FITS].message
    assert got[BRACES].status is Status.OK, got[BRACES].message
    assert got[TOO_LONG].status is Status.BAD_DATA and "过长" in got[TOO_LONG].message
    assert got["示例县"].status is Status.FAILED
    assert "没有写入权限" in got["示例县"].message
    assert unit_docx(out, "示例县").read_bytes() == good   # the good document untouched
    assert result.exit_code == 1
    told = [w for w in result.warnings if "未计入任何文档" in w]
    assert len(told) == 1 and "白鹭县" in told[0] and "控制字符（U+0000）" in told[0]

    for unit in (FITS, BRACES):
        text = paragraphs(unit_docx(out, unit))
        assert text.startswith(f"{unit}2025年")
        # Counted among the three units whose rows were taken, never the refused ones.
        assert re.findall(r"全市(\d+)个县（区）", text) == ["3"]
        assert "桐山" not in text and "白鹭" not in text
    manifest = read_manifest(out)
    assert manifest["run"]["status"] == "完成"
    assert manifest["entries"][f"{TOO_LONG}/工作总结"]["status"] == "数据有误"
    assert not (out / "2025" / "wenming_city" / ".staging").exists()
    assert not any("{" in p.name for p in (out / "2025").rglob("*") if p.name != BRACES)
