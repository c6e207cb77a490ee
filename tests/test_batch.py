"""``run_batch`` and ``huibao run`` over several units: isolation, skipping, unit-name safety.

Each test works in its own copy of the project (``batch_project``) with its own outputs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_project import (
    WORKBOOK,
    check_document,
    make_project,
    read_manifest,
    rename_unit,
    set_value,
    snapshot,
    statuses,
    unit_docx,
    write_params,
)
from typer.testing import CliRunner

from huibao.app.cli import app
from huibao.errors import UsageError
from huibao.run.batch import run_batch
from huibao.run.manifest import Status


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(tmp_path / "out"))
    return tmp_path / "out"


def test_broken_units_fail_alone_and_are_named_with_their_cells(tmp_path: Path, out: Path,
                                                                 monkeypatch) -> None:
    project = make_project(tmp_path / "p")
    # 云溪区's population is text (preflight refuses it); 桐山县's date raises in the notebook.
    set_value(project / WORKBOOK, "云溪区", 2025, "常住人口", "很多")
    write_params(project, "桐山县", 'doc_date: "2025-02-30"\n')
    monkeypatch.setenv("HUIBAO_HOME", str(project))
    result = CliRunner().invoke(app, ["run", "--units", "示例县,云溪区,桐山县,白鹭县",
                                      "--year", "2025", "--jobs", "2", "--allow-missing"],
                                env={"COLUMNS": "300"})
    assert result.exit_code == 1, result.output
    for unit in ("示例县", "白鹭县"):
        check_document(unit_docx(out, unit), unit)
    assert not unit_docx(out, "云溪区").exists() and not unit_docx(out, "桐山县").exists()

    entries = read_manifest(out)["entries"]
    assert {k: e["status"] for k, e in entries.items()} == {
        "示例县/工作总结": "成功", "云溪区/工作总结": "数据有误", "桐山县/工作总结": "失败",
        "白鹭县/工作总结": "成功"}
    assert "很多" in entries["云溪区/工作总结"]["error"]["message"]
    failed = entries["桐山县/工作总结"]["error"]
    assert "成文日期“2025-02-30”无法识别" in failed["message"]
    assert isinstance(failed["cell"], int)
    assert failed["notebook"] == "2025/wenming_city/桐山县/工作总结.failed.ipynb"
    assert (out / failed["notebook"]).is_file()

    text = " ".join(result.output.split())
    assert "数据有误" in text and "常住人口" in text
    assert f"第{failed['cell']}个单元格：成文日期“2025-02-30”无法识别" in text
    assert "工作总结.failed.ipynb" in text
    assert "成功 2" in text and "失败 1" in text and "数据有误 1" in text


def test_rerun_skips_unchanged_units_and_a_changed_value_reruns_only_its_unit(
        tmp_path: Path, out: Path) -> None:
    project = make_project(tmp_path / "p")

    def batch(**kw):
        return run_batch(2025, units=["示例县", "白鹭县"], jobs=2, allow_missing=True,
                         root=project, **kw)

    first = batch()
    assert [r.status for r in first.results] == [Status.OK, Status.OK]
    folders = {u: out / "2025" / "wenming_city" / u for u in ("示例县", "白鹭县")}
    before = {u: snapshot(f) for u, f in folders.items()}

    again = batch()
    assert [r.status for r in again.results] == [Status.UNCHANGED, Status.UNCHANGED]
    assert again.exit_code == 0
    assert {u: snapshot(f) for u, f in folders.items()} == before  # not a byte, not a mtime

    set_value(project / WORKBOOK, "白鹭县", 2025, "公益广告", 1234)
    changed = batch()
    assert {r.unit: r.status for r in changed.results} == {"示例县": Status.UNCHANGED,
                                                          "白鹭县": Status.OK}
    assert snapshot(folders["示例县"]) == before["示例县"]
    assert snapshot(folders["白鹭县"]) != before["白鹭县"]
    entry = read_manifest(out)["entries"]["白鹭县/工作总结"]
    assert entry["good"]["run"] == entry["run"]


@pytest.mark.parametrize("unit", ["../x", "a/b", "..", ".staging", "manifest.json"])
def test_unit_names_that_are_paths_are_refused_before_anything_is_written(
        out: Path, root: Path, unit: str) -> None:
    with pytest.raises(UsageError, match="不能用作"):
        run_batch(2025, units=[unit], root=root)
    result = CliRunner().invoke(app, ["run", "--units", f"示例县,{unit}", "--year", "2025"])
    assert result.exit_code == 2
    assert not out.exists()


def test_workbook_units_with_path_names_are_data_errors(tmp_path: Path, out: Path) -> None:
    project = make_project(tmp_path / "p", ["示例县", "云溪区"])
    rename_unit(project / WORKBOOK, "示例县", "../../逃逸")
    rename_unit(project / WORKBOOK, "云溪区", ".隐藏")
    result = run_batch(2025, allow_missing=True, root=project)
    assert [(r.unit, r.status) for r in result.results] == [
        ("../../逃逸", Status.BAD_DATA), (".隐藏", Status.BAD_DATA)]
    assert all("不能用作" in r.message for r in result.results)
    assert result.exit_code == 1
    assert not out.exists() and not (tmp_path / "逃逸").exists()


EVIL = "\";__import__('pathlib').Path('PWNED').touch()#"  # no spaces: the intake drops them


def test_a_unit_named_like_code_is_written_as_data(tmp_path: Path, out: Path) -> None:
    project = make_project(tmp_path / "p")
    rename_unit(project / WORKBOOK, "示例县", EVIL)
    result = run_batch(2025, units=[EVIL], allow_missing=True, root=project)
    assert result.results[0].status is Status.OK, result.results[0].message
    assert check_document(unit_docx(out, EVIL), EVIL)
    assert statuses(out) == {EVIL: "成功"}
    assert not list(tmp_path.rglob("PWNED")) and not Path("PWNED").exists()
