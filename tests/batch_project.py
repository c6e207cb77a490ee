"""A throw-away copy of the project for batch tests, and edits to its sample workbook.

Batch tests change workbooks and parameter files and count files in outputs/, so each
gets its own project folder (templates, notebooks, params, data) and outputs folder.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import docx
from openpyxl import load_workbook

from huibao.render.layout import load_profile

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = Path("data") / "wenming_city_sample.xlsx"
EMU_PER_TWIP = 635


def make_project(dest: Path, units: list[str] | None = None) -> Path:
    """Copy the project's inputs into ``dest``; keep only ``units`` in the workbook."""
    for name in ("templates", "notebooks", "params", "data"):
        shutil.copytree(ROOT / name, dest / name,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    if units is not None:
        edit_rows(dest / WORKBOOK, lambda sheet, unit, year, row: unit in units or unit is None)
    return dest


def _header(ws) -> tuple[int, dict[str, int]]:
    """The header row (1-based) and column numbers by header text."""
    for i, row in enumerate(ws.iter_rows(min_row=1, max_row=10, values_only=True), 1):
        cells = {str(v).strip(): j for j, v in enumerate(row, 1) if v is not None}
        if "单位" in cells:
            return i, cells
    raise AssertionError(f"no header in sheet {ws.title}")


def edit_rows(path: Path, keep) -> None:
    """Delete the data rows for which ``keep(sheet, unit, year, row)`` is false."""
    wb = load_workbook(path)
    for ws in wb.worksheets:
        top, cols = _header(ws)
        for r in range(ws.max_row, top, -1):
            unit = ws.cell(r, cols["单位"]).value
            year = ws.cell(r, cols["年度"]).value if "年度" in cols else None
            if not keep(ws.title, unit, year, r):
                ws.delete_rows(r)
    wb.save(path)


def set_value(path: Path, unit: str, year: int, header: str, value: object) -> None:
    """Set one 指标数据 cell: the column whose header starts with ``header``."""
    wb = load_workbook(path)
    ws = wb["指标数据"]
    top, cols = _header(ws)
    col = next(j for name, j in cols.items() if name.startswith(header))
    for r in range(top + 1, ws.max_row + 1):
        if ws.cell(r, cols["单位"]).value == unit and ws.cell(r, cols["年度"]).value == year:
            ws.cell(r, col).value = value
            wb.save(path)
            return
    raise AssertionError(f"no row for {unit} {year}")


def rename_unit(path: Path, old: str, new: str) -> None:
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value == old:
                    cell.value = new
    wb.save(path)


def write_params(project: Path, unit: str, text: str) -> None:
    (project / "params" / "wenming_city" / f"{unit}.yaml").write_text(text, encoding="utf-8")


def unit_docx(out: Path, unit: str, year: int = 2025) -> Path:
    return out / str(year) / "wenming_city" / unit / "工作总结.docx"


def read_manifest(out: Path, year: int = 2025) -> dict:
    return json.loads((out / str(year) / "wenming_city" / "manifest.json").read_text("utf-8"))


def statuses(out: Path, year: int = 2025) -> dict[str, str]:
    return {e["unit"]: e["status"] for e in read_manifest(out, year)["entries"].values()}


def check_document(path: Path, unit: str, year: int = 2025) -> list[str]:
    """Open ``path`` with python-docx; check its title and the GB/T 9704 page geometry."""
    d = docx.Document(str(path))
    profile = load_profile(ROOT / "templates" / "layout" / "gbt9704.yaml")
    s = d.sections[0]
    twips = {k: round(getattr(s, f"{k}_margin") / EMU_PER_TWIP)
             for k in ("top", "right", "left", "bottom")}
    assert (round(s.page_width / EMU_PER_TWIP), round(s.page_height / EMU_PER_TWIP)) \
        == profile.page_twips
    assert twips == profile.margins_twips
    assert d.paragraphs[0].text == f"{unit}{year}年创建全国文明城市工作总结"
    return [p.text for p in d.paragraphs]


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``folder``: modification time (ns) and content."""
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def marked_processes(mark: str) -> list[int]:
    """Processes whose environment carries ``HUIBAO_TEST_MARK=mark`` (and its children's)."""
    found = []
    needle = f"HUIBAO_TEST_MARK={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def wait_for(predicate, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
