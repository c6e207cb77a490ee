"""Execute a unit's notebook through papermill's Python API.

papermill is imported lazily: it is the slowest import of the kit and most commands
never need it. The executed notebook is kept next to the document as provenance; when a
cell fails, papermill still writes it (with an error banner) and we raise ``RunError``
naming the cell.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from huibao import config
from huibao.errors import RunError, UnknownNameError

# Document type → notebook in notebooks/ that produces it.
NOTEBOOKS = {"工作总结": "work_summary"}


@dataclass(frozen=True)
class RunResult:
    unit: str
    document: Path
    notebook: Path
    seconds: float


def notebook_for(document: str, root: Path) -> Path:
    try:
        name = NOTEBOOKS[document]
    except KeyError:
        raise UnknownNameError("文档类型", document, list(NOTEBOOKS)) from None
    return config.notebooks_dir(root) / f"{name}.ipynb"


def _quiet_kernel_manager() -> type:
    """A kernel manager whose kernel's own stderr (ipykernel's TCP warning) is discarded.

    Cell output still arrives through the messaging channels; only the kernel process's
    log lines are dropped, so the analyst's terminal shows our messages alone.
    """
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):  # type: ignore[override]
            kw.setdefault("stderr", subprocess.DEVNULL)
            return await super().start_kernel(**kw)

    return QuietKernelManager


def run_unit(unit: str, year: int, campaign: str, *, data_path: str, document: str = "工作总结",
             doc_date: str | dt.date | None = None, root: Path | None = None,
             timeout: int = 600) -> RunResult:
    """Run ``document``'s notebook for one unit; return where the .docx and notebook are."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    root = root or config.project_root()
    source = notebook_for(document, root)
    out_dir = config.unit_output_dir(year, campaign, unit, root)
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / f"{document}.ipynb"
    parameters = {
        "unit": unit, "year": int(year), "campaign": campaign, "data_path": str(data_path),
        "output_dir": str(out_dir), "doc_date": None if doc_date is None else str(doc_date),
    }
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(source), str(executed), parameters=parameters, cwd=str(root),
            kernel_name="python3", progress_bar=False, log_output=False,
            execution_timeout=timeout, report_mode=False,
            kernel_manager_class=_quiet_kernel_manager(),
        )
    except PapermillExecutionError as exc:
        raise RunError(unit, source.name, f"{exc.ename}: {exc.evalue}",
                       cell_index=exc.exec_count) from None
    docx = out_dir / f"{document}.docx"
    if not docx.is_file():
        raise RunError(unit, source.name, f"notebook 执行完毕，但未生成 {docx.name}")
    return RunResult(unit, docx, executed, time.perf_counter() - start)
