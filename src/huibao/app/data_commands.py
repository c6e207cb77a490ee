"""What ``huibao check`` and ``huibao template`` do, kept out of the CLI so it is testable.

``run_check`` reads and validates files and returns every problem; ``print_report``
shows them as a table; ``make_template`` writes the collection form for a year, with the
units of the current data when none are given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from huibao import config
from huibao.documents.unit import STRICT
from huibao.errors import DataError, HuibaoError, UsageError
from huibao.facts.loader import check_workbook
from huibao.inputs.collection_form import UnitRow, write_form
from huibao.inputs.findings import SEVERITY_LABEL, Findings, Problem
from huibao.inputs.workbook import Workbook, expand, read_workbook
from huibao.packs import params
from huibao.packs.schema import Pack, load_pack


@dataclass
class CheckResult:
    pack: Pack
    workbook: Workbook
    findings: Findings


def _data_files(files: list[Path], campaign: str, root: Path) -> list[Path]:
    if not files:
        defaults = params.merged(root / "params", campaign, "defaults", {})
        if "data_path" not in defaults:
            raise UsageError("请指定要检查的数据文件，例如：huibao check data/采集表.xlsx")
        files = [defaults["data_path"]] if isinstance(defaults["data_path"], str) \
            else list(defaults["data_path"])
    try:
        paths = expand(files, Path.cwd())
    except DataError as exc:
        raise UsageError(str(exc)) from None
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"找不到文件：{'、'.join(missing)}")
    return paths


def run_check(files: list[Path], campaign: str, root: Path, *, year: int | None = None,
              allow_missing: bool = False, strict: bool = False) -> CheckResult:
    """Read and validate ``files``; missing required values of other years than ``year``
    and, with ``allow_missing``, all of them, become warnings."""
    try:
        pack = load_pack(campaign, config.templates_dir(root))
    except HuibaoError as exc:
        raise UsageError(str(exc)) from None
    paths = _data_files(files, campaign, root)
    wb = read_workbook(paths, pack)
    findings = Findings()
    for p in check_workbook(wb, pack)[0]:
        if p.rule == "missing_required" and (allow_missing or (year and p.year != year)):
            p = Problem(**{**p.__dict__, "severity": "warning"})
        elif strict and p.rule in STRICT:
            p = Problem(**{**p.__dict__, "severity": "error"})
        findings.items.append(p)
    return CheckResult(pack, wb, findings)


def _order(p: Problem) -> tuple:
    letter = p.letter or ""
    return (p.severity != "error", p.file or "", p.sheet or "", p.row or 0, len(letter), letter)


LIMIT = 20   # problems shown per kind (rule) and sheet; the rest are counted


def _cells(p: Problem, several: bool) -> list[str]:
    column = f"{p.letter}列 {p.column}" if p.letter else (p.column or "")
    return [SEVERITY_LABEL[p.severity], *([p.file or ""] if several else []), p.sheet or "",
            "" if p.row is None else str(p.row), column,
            " ".join(x for x in (p.unit, f"{p.year}年" if p.year else "") if x),
            "" if p.value is None else str(p.value), p.message, p.expected or ""]


def write_problems(result: CheckResult, path: Path) -> Path:
    """Every problem as a CSV table Excel opens (UTF-8 with BOM), whatever ``LIMIT`` is."""
    import csv
    import io

    from huibao.render import files

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["级别", "文件", "工作表", "行", "列", "单位", "当前值", "问题", "应为"])
    for p in sorted(result.findings, key=_order):
        writer.writerow(_cells(p, True))
    text = buffer.getvalue()
    return files.write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8-sig"))


def print_report(result: CheckResult, console: Console, limit: int = LIMIT,
                 report: Path | None = None) -> None:
    """The problems as a table; at most ``limit`` of each kind per sheet (0: all), the rest
    counted, and all of them in ``report`` (CSV) when given."""
    wb = result.workbook
    n_units = wb.rows["unit"].nunique()
    years = sorted({int(y) for y in wb.rows["year"]})
    span = f"{years[0]}—{years[-1]}年" if len(years) > 1 else (f"{years[0]}年" if years else "")
    console.print(f"已读取 {wb.file_label}：{result.pack.name}，{n_units}个单位{span}，"
                  f"{len(wb.values)}个数值，{len(wb.honours)}条荣誉，"
                  f"{len(wb.activities)}项活动，{len(wb.systems)}项制度。")
    errors, warnings = result.findings.errors, result.findings.warnings
    if not len(result.findings):
        console.print("[green]未发现问题。[/]")
        return
    several = len(wb.paths) > 1
    table = Table(header_style="bold")
    for name in ("级别", *(["文件"] if several else []), "工作表", "行", "列", "单位", "当前值",
                 "问题", "应为"):
        table.add_column(name, overflow="fold", no_wrap=name in ("级别", "行"))
    shown: dict[tuple, int] = {}
    hidden: dict[tuple, int] = {}
    for p in sorted(result.findings, key=_order):
        kind = (p.severity, p.file, p.sheet, p.rule)
        if limit and shown.get(kind, 0) >= limit:
            hidden[kind] = hidden.get(kind, 0) + 1
            continue
        shown[kind] = shown.get(kind, 0) + 1
        style = "red" if p.severity == "error" else "yellow"
        cells = _cells(p, several)
        table.add_row(f"[{style}]{cells[0]}[/]", *cells[1:])
    console.print(table)
    if hidden:
        more = sum(hidden.values())
        where = f"全部问题已写入 {report}" if report else "加 --report 文件名.csv 可列出全部问题"
        console.print(f"同一工作表的同类问题各只列出前 {limit} 个，"
                      f"另有 {more} 个未列出（{where}）。")
    if report:
        write_problems(result, report)
        if not hidden:
            console.print(f"全部问题已写入 {report}。")
    tail = "请修改后重新检查。" if errors else "警告不影响生成，但请核实。"
    console.print(f"共 {len(errors)} 个错误、{len(warnings)} 个警告。{tail}")


def _roster(campaign: str, root: Path) -> list[UnitRow]:
    """Units of the campaign's current data (params defaults), if it can be read."""
    defaults = params.merged(root / "params", campaign, "defaults", {})
    if "data_path" not in defaults:
        return []
    try:
        wb = read_workbook(defaults["data_path"], load_pack(campaign, config.templates_dir(root)),
                           root)
    except HuibaoError:
        return []
    fields = ["unit", "unit_type", "self_ref", "superior", "signatory"]
    rows = wb.units.drop_duplicates("unit")
    return [UnitRow(**{f: ("" if r[f] is None else str(r[f])) for f in fields})
            for r in rows[fields].astype(object).where(rows[fields].notna(), None)
            .to_dict("records")]


def make_template(campaign: str, year: int, root: Path, *, units: str | None = None,
                  output: Path | None = None, force: bool = False) -> tuple[Path, int]:
    """Write the collection form; never over a file that exists (it may be half filled)."""
    pack = load_pack(campaign, config.templates_dir(root))
    if units:
        names = [u.strip() for u in units.replace("，", ",").split(",") if u.strip()]
        known = {u.unit: u for u in _roster(campaign, root)}
        rows = [known.get(n, UnitRow(n)) for n in names]
    else:
        rows = _roster(campaign, root)
    default = config.outputs_dir(root) / "采集表" / f"{pack.name}{year}年数据采集表.xlsx"
    path = Path(output or default)
    if path.exists() and not force:
        raise HuibaoError(f"{path} 已存在，可能已有填好的数据，未覆盖。"
                          "请另指定 --output，或确认后加 --force 覆盖。")
    return write_form(pack, year, rows, path), len(rows)
