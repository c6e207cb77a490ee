"""How a batch looks in the terminal: a progress bar while it runs, then a summary table.

On a terminal the bar is redrawn in place and removed at the end; in a log (not a
terminal) each settled unit-document gets one line instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from huibao.render import edits
from huibao.run.batch import BatchResult, Reporter, UnitResult
from huibao.run.manifest import Status

STYLES = {Status.OK: "green", Status.UNCHANGED: "dim", Status.FAILED: "bold red",
          Status.BAD_DATA: "bold red", Status.TIMEOUT: "bold red",
          Status.INTERRUPTED: "yellow", Status.MERGED: "cyan", Status.BESIDE: "yellow",
          Status.OPEN: "bold red"}


class ConsoleReporter(Reporter):
    """Progress of a batch on ``console`` (stderr); use as a context manager."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.total = 0
        self.done = 0
        self.running: list[str] = []
        self._bar: Progress | None = None
        self._task = None

    def __enter__(self) -> ConsoleReporter:
        if self.console.is_terminal:
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                 BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=self.console, transient=True)
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def waiting(self, holder: str) -> None:
        self.console.print(f"另一个 huibao run{holder}正在生成同一批文档，等待其结束……",
                           soft_wrap=True)

    def planned(self, total: int) -> None:
        self.total = total
        if self._bar is not None:
            self._task = self._bar.add_task("准备中", total=total)

    def started(self, unit: str, document: str) -> None:
        self.running.append(f"{unit}{document}")
        self._describe()

    def finished(self, result: UnitResult) -> None:
        self.done += 1
        name = f"{result.unit}{result.document}"
        if name in self.running:
            self.running.remove(name)
        if self._bar is not None:
            self._bar.advance(self._task)
            self._describe()
        elif result.status is not Status.UNCHANGED:
            self.console.print(f"[{self.done}/{self.total}] {result.unit} {result.document} "
                               f"{result.status.value} {result.seconds:.1f} 秒", soft_wrap=True,
                               highlight=False)

    def _describe(self) -> None:
        if self._bar is not None:
            shown = "、".join(self.running[:3]) + ("等" if len(self.running) > 3 else "")
            self._bar.update(self._task, description=f"正在生成 {shown}" if shown else "")


def print_summary(result: BatchResult, console: Console,
                  relative: Callable[[Path], str]) -> None:
    """The table 单位 | 文档 | 状态 | 耗时 | 输出, then counts, warnings and the manifest.

    Output paths are shown relative to the batch folder, which the title names.
    """
    def short(path: Path) -> str:
        return path.relative_to(result.folder).as_posix() if path.is_relative_to(
            result.folder) else relative(path)

    table = Table(title=f"{result.year}年 {result.campaign}：{relative(result.folder)}/",
                  title_justify="left")
    for name in ("单位", "文档", "状态", "耗时", "输出"):
        table.add_column(name, overflow="fold", no_wrap=name in ("单位", "文档", "状态", "耗时"))
    for r in result.results:
        if r.failed:
            shown = r.problem() + (f"\n执行记录：{short(r.notebook)}" if r.notebook else "")
        else:
            shown = short(r.docx) if r.docx else ""
            if r.status is Status.MERGED and r.edits:
                shown += "\n" + edits.edit_counts(r.edits)
            elif r.message:
                shown += "\n" + r.message
        table.add_row(r.unit, r.document, f"[{STYLES[r.status]}]{r.status.value}[/]",
                      f"{r.seconds:.1f} 秒" if r.seconds else "—", shown)
    console.print(table)
    counts = {}
    for r in result.results:
        counts[r.status] = counts.get(r.status, 0) + 1
    tally = "，".join(f"{s.value} {n}" for s, n in counts.items())
    console.print(f"共 {len(result.results)} 个文档：{tally}。", highlight=False)
    _print_reviews(result, console, short)
    for warning in result.warnings:
        console.print(f"[yellow]注意：[/]{warning}", soft_wrap=True)
    if result.manifest is not None:
        console.print(f"运行记录：{relative(result.manifest)}", highlight=False)
    if result.signal is not None:
        console.print("[yellow]已中断[/]：已完成的文档均已保存；再次运行同一命令将继续生成其余文档。")


def _print_reviews(result: BatchResult, console: Console,
                   short: Callable[[Path], str]) -> None:
    """Per merged document: stale numbers (old → new) and conflicts, and the review file."""
    for r in result.results:
        if r.status is not Status.MERGED or not r.edits:
            continue
        stale, conflicts = r.edits.get("stale_numbers", []), r.conflicts
        if not stale and not conflicts:
            continue
        console.print(f"[cyan]修改核对[/] {r.unit}{r.document}：", highlight=False)
        for s in stale:
            console.print(f"  数字待核对：{s['name']} {s['old']} → {s['new']}"
                          f"（段落：“{s['opening']}”）", soft_wrap=True, highlight=False)
        for c in conflicts:
            console.print(f"  冲突（已保留人工修改）：{c.mine[:40]}", soft_wrap=True,
                          highlight=False)
            console.print(f"    新生成：{(c.theirs or '（新文档中已无此段）')[:40]}",
                          soft_wrap=True, highlight=False)
        review = r.edits.get("review")
        if review and r.docx is not None:
            console.print(f"  核对清单：{short(r.docx.with_name(Path(review).name))}",
                          highlight=False)
