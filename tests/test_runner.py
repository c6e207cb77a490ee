"""``runner.execute``: one notebook through papermill into a staging folder, never raising."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import docx
import nbformat
import pytest
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from huibao.documents.kinds import kind
from huibao.run.manifest import Status
from huibao.run.task import STOP_FILE, UnitTask, execute


def task(root: Path, staging: Path, unit: str = "示例县", timeout: float = 120,
         isolation: str = "namespace", **params) -> UnitTask:
    staging.mkdir(parents=True, exist_ok=True)
    parameters = {"unit": unit, "year": 2025, "campaign": "wenming_city",
                  "data_path": "data/wenming_city_sample.xlsx", "doc_date": None,
                  "document": "工作总结", **params}
    return UnitTask(unit, "工作总结", str(kind("unit", "工作总结").notebook_path(root)), str(root),
                    str(staging), parameters, timeout, {"HUIBAO_HOME": str(root)}, isolation)


def kernel_children() -> list[int]:
    """Live ipykernel processes started by this process."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and stat[0] != "Z" and b"ipykernel" in cmd:
            out.append(int(entry.name))
    return out


def test_execute_writes_document_notebook_and_figures_into_its_staging_folder(
        tmp_path: Path, root: Path) -> None:
    t = task(root, tmp_path / "stage", doc_date="2025-12-26")
    outcome = execute(t)
    assert outcome.status is Status.OK, outcome.message
    assert outcome.seconds > 0 and outcome.versions["papermill"]
    d = docx.Document(str(t.docx))
    assert d.paragraphs[0].text == "示例县2025年创建全国文明城市工作总结"
    assert any(p.text == "2025年12月26日" for p in d.paragraphs)
    nb = json.loads(t.executed.read_text(encoding="utf-8"))
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1
    assert all(c.get("outputs") is not None for c in nb["cells"] if c["cell_type"] == "code")
    assert len(list((tmp_path / "stage" / "figures").glob("*.png"))) == 3


def test_failing_cell_is_reported_by_number_and_its_notebook_kept(tmp_path: Path,
                                                                   root: Path) -> None:
    t = task(root, tmp_path / "stage", unit="不存在县")
    outcome = execute(t)
    assert outcome.status is Status.FAILED
    assert "单位信息" in outcome.message and outcome.cell is not None
    nb = nbformat.read(t.executed, as_version=4)
    failed = [c for c in nb.cells if c.cell_type == "code"
              and any(o.get("output_type") == "error" for o in c.outputs)]
    assert [c.execution_count for c in failed] == [outcome.cell]
    assert not t.docx.exists()


def test_timeout_stops_the_kernel_and_says_so(tmp_path: Path, root: Path) -> None:
    outcome = execute(task(root, tmp_path / "stage", timeout=1.5, isolation="kernel"))
    assert outcome.status is Status.TIMEOUT
    assert "超过时限 1.5 秒" in outcome.message
    assert outcome.seconds < 10
    assert kernel_children() == []


def test_stop_file_interrupts_a_running_task(tmp_path: Path, root: Path) -> None:
    t = task(root, tmp_path / "stage", isolation="kernel")
    timer = threading.Timer(1.0, (tmp_path / "stage" / STOP_FILE).touch)
    timer.start()
    outcome = execute(t)
    timer.join()
    assert outcome.status is Status.INTERRUPTED
    assert not t.docx.exists()
    assert kernel_children() == []


EVIL = ["\"; open('PWNED', 'w').close(); x = \"", "a\\\"; import os #", "x'''\n\"\"\"y",
        "示例县\n__import__('os').system('touch PWNED')"]


@pytest.mark.parametrize("value", EVIL)
def test_parameters_are_injected_as_literals_not_code(tmp_path: Path, root: Path,
                                                      value: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    source = kind("unit", "工作总结").notebook_path(root)
    nb = load_notebook_node(str(source))  # as papermill reads it
    nb = parameterize_notebook(nb, {"unit": value, "doc_date": value})
    cell = next(c for c in nb.cells if "injected-parameters" in c.metadata.tags)
    namespace: dict = {}
    exec(compile(cell.source, "injected", "exec"), namespace)
    assert namespace["unit"] == value and namespace["doc_date"] == value
    assert not (tmp_path / "PWNED").exists()
