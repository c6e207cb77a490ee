"""The papermill engine ``huibao``: notebooks in this process, a fresh namespace each."""

from __future__ import annotations

import os
import time
from pathlib import Path

import matplotlib
import nbformat
import papermill as pm
import pytest
from papermill.engines import papermill_engines
from papermill.exceptions import PapermillExecutionError

from huibao.run import engine
from huibao.run.manifest import Status
from huibao.run.task import UnitTask, execute


def notebook(path: Path, *cells: str, parameters: str = "x = 0") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                 "display_name": "Python 3"}
    first = nbformat.v4.new_code_cell(parameters)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nbformat.write(nb, path)
    return path


def run(source: Path, out: Path, **parameters) -> nbformat.NotebookNode:
    return pm.execute_notebook(str(source), str(out), parameters=parameters,
                               engine_name=engine.NAME, kernel_name="python3",
                               progress_bar=False, request_save_on_cell_execute=False)


def test_engine_is_registered_through_papermills_entry_point() -> None:
    assert papermill_engines.get_engine("huibao") is engine.NamespaceEngine


def test_outputs_are_recorded_as_a_kernel_records_them(tmp_path: Path) -> None:
    source = notebook(tmp_path / "a.ipynb",
                      "print('一'); import sys; print('二', file=sys.stderr)",
                      "from IPython.display import display, HTML\n"
                      "print('a'); display(HTML('<b>b</b>')); print('c')",
                      "x + 1",
                      "y = 2;")
    nb = run(source, tmp_path / "out.ipynb", x=41)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in cells] == [1, 2, 3, 4, 5, 6]  # 2: injected parameters
    assert [(o.output_type, o.get("name"), o.get("text")) for o in cells[2].outputs] == [
        ("stream", "stdout", "一\n"), ("stream", "stderr", "二\n")]
    assert [o.output_type for o in cells[3].outputs] == ["stream", "display_data", "stream"]
    assert cells[3].outputs[1].data["text/html"] == "<b>b</b>"
    result = cells[4].outputs
    assert result[0].output_type == "execute_result" and result[0].data["text/plain"] == "42"
    assert result[0].execution_count == 5
    assert cells[5].outputs == []
    saved = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    nbformat.validate(saved)
    assert [c.outputs for c in saved.cells if c.cell_type == "code"][4] == result


def test_each_notebook_starts_with_a_fresh_namespace(tmp_path: Path) -> None:
    run(notebook(tmp_path / "a.ipynb", "leaked = 1"), tmp_path / "a.out.ipynb")
    with pytest.raises(PapermillExecutionError) as caught:
        run(notebook(tmp_path / "b.ipynb", "print('ok')", "leaked"), tmp_path / "b.out.ipynb")
    assert caught.value.ename == "NameError" and caught.value.exec_count == 3


def test_a_failing_cell_stops_the_notebook_and_is_saved_with_its_traceback(
        tmp_path: Path) -> None:
    source = notebook(tmp_path / "a.ipynb", "1 / 0", "print('never')")
    with pytest.raises(PapermillExecutionError) as caught:
        run(source, tmp_path / "out.ipynb")
    assert (caught.value.ename, caught.value.exec_count) == ("ZeroDivisionError", 2)
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[1].outputs[0].output_type == "error"
    assert any("1 / 0" in line for line in code[1].outputs[0].traceback)
    assert code[2].outputs == [] and code[2].execution_count is None


def test_process_wide_state_is_restored_after_a_notebook(tmp_path: Path) -> None:
    before = (matplotlib.rcParams["font.size"], os.getcwd(), os.environ.get("HUIBAO_X"))
    source = notebook(tmp_path / "a.ipynb",
                      "import matplotlib, os\nmatplotlib.rcParams['font.size'] = 31\n"
                      "os.environ['HUIBAO_X'] = '1'\nos.chdir('/')")
    run(source, tmp_path / "out.ipynb")
    assert (matplotlib.rcParams["font.size"], os.getcwd(), os.environ.get("HUIBAO_X")) == before


def test_a_task_past_its_time_limit_is_interrupted_in_process(tmp_path: Path,
                                                              root: Path) -> None:
    source = notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(60)",
                      parameters="output_dir = None")
    stage = tmp_path / "stage"
    stage.mkdir()
    task = UnitTask("示例县", "工作总结", str(source), str(root), str(stage), {}, 1.0,
                    isolation="namespace")
    start = time.monotonic()
    outcome = execute(task)
    assert outcome.status is Status.TIMEOUT
    assert time.monotonic() - start < 10
    # the process goes on: the next notebook runs normally
    quick = notebook(tmp_path / "quick.ipynb", "print('ok')", parameters="output_dir = None")
    run(quick, tmp_path / "quick.out.ipynb")


def test_the_process_keeps_its_main_module_for_multiprocessing(tmp_path: Path) -> None:
    import sys
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    main = sys.modules["__main__"]
    run(notebook(tmp_path / "a.ipynb", "print(__name__)"), tmp_path / "out.ipynb")
    assert sys.modules["__main__"] is main
    with ProcessPoolExecutor(1, mp_context=get_context("forkserver")) as pool:
        assert pool.submit(abs, -3).result() == 3
