"""Command line: ``huibao run`` and friends. Thin: parse, call the library, report.

Library errors (``HuibaoError``) become one Chinese line on stderr and exit code 1;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
from enum import IntEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from huibao import __version__, config
from huibao.errors import HuibaoError, UsageError

app = typer.Typer(help="汇报：把各单位的年度数据生成为符合 GB/T 9704 版式的 Word 文档。",
                  add_completion=False, no_args_is_help=True)
err = Console(stderr=True)
out = Console()


class Exit(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2


# Options shared by several commands.
Year = Annotated[int | None, typer.Option("--year", "-y", help="年度；默认取参数文件")]
Campaign = Annotated[str, typer.Option("--campaign", "-c", help="创建类别")]
Jobs = Annotated[int | None, typer.Option(
    "--jobs", "-j", help="同时生成的文档数；默认为 CPU 核数")]
Force = Annotated[bool, typer.Option("--force", help="输入未变化的也重新生成")]
AllowMissing = Annotated[bool, typer.Option(
    "--allow-missing", help="必填项缺失时仍生成（显示为【待填】）")]
Timeout = Annotated[float, typer.Option("--timeout", help="每个文档的时限（秒）")]
Strict = Annotated[bool, typer.Option(
    "--strict", help="文字材料中的数字与指标数据不一致时作为错误（默认为警告）")]
Data = Annotated[Path | None, typer.Option("--data", help="数据工作簿；默认取参数文件")]
DocDate = Annotated[str | None, typer.Option("--date", help="成文日期，如 2025-12-31")]
Debug = Annotated[bool, typer.Option("--debug", help="出错时显示完整调用栈")]
Scheduler = Annotated[str | None, typer.Option(
    "--scheduler", envvar="HUIBAO_SCHEDULER",
    help="Dask 调度器地址，如 tcp://10.0.0.5:8786；默认在本机运行")]


def _fail(exc: HuibaoError, debug: bool) -> None:
    """One Chinese line; exit 2 for unusable arguments, else 1."""
    if debug:
        raise exc
    err.print(f"[bold red]错误：[/]{exc}")
    raise typer.Exit(Exit.USAGE if isinstance(exc, UsageError) else Exit.FAILED)


def _interrupted_before_start() -> NoReturn:
    """Ctrl-C before the batch took over its signals (reading workbooks, planning)."""
    err.print("已中断：尚未开始生成文档。")
    raise typer.Exit(130)


@app.command()
def run(
    unit: Annotated[str | None, typer.Option("--unit", "-u", help="一个单位，如 示例县")] = None,
    units: Annotated[str | None, typer.Option(
        "--units", help="多个单位，逗号分隔，如 示例县,云溪区")] = None,
    all_units: Annotated[bool, typer.Option(
        "--all", help="工作簿“单位信息”中当年有数据的全部单位")] = False,
    campaign: Campaign = "wenming_city",
    year: Year = None,
    docs: Annotated[str | None, typer.Option(
        "--docs", help="文档类型，逗号分隔，如 工作总结；默认取参数文件")] = None,
    jobs: Jobs = None,
    force: Force = False,
    allow_missing: AllowMissing = False,
    strict: Strict = False,
    scheduler: Scheduler = None,
    timeout: Timeout = 600,
    wait: Annotated[bool, typer.Option(
        "--wait", help="另一个运行正在生成同一年度同一类别时，等它结束而不是退出")] = False,
    isolation: Annotated[str, typer.Option(
        "--isolation", help="namespace：在预热的工作进程中各用新的命名空间执行 notebook（快）；"
        "kernel：每个 notebook 启动独立内核（完全隔离）")] = "namespace",
    data: Data = None,
    doc_date: DocDate = None,
    discard_edits: Annotated[bool, typer.Option(
        "--discard-edits", help="不保留文档中的人工修改，从头重新生成（原文件先备份）")] = False,
    debug: Debug = False,
) -> None:
    """生成一个、多个或全部单位的文档（在多个进程中经 papermill 执行 notebook）。

    输入（数据、参数、模板、notebook）未变化的文档显示为“未变化”并跳过。
    人工修改过的文档：修改合并进新生成的文档（原文件先备份），见 README“修改后重新生成”。
    一个单位失败不影响其他单位。运行记录：outputs/<年度>/<类别>/manifest.json。
    退出码：0 全部成功或未变化；1 有单位失败；2 参数无法使用；130/143 被中断。

    示例：huibao run --all --year 2025 --jobs 4
    """
    from huibao.app import progress
    from huibao.run import batch
    names = [n.strip() for text in (unit, units) if text
             for n in text.replace("，", ",").replace("、", ",").split(",") if n.strip()]
    if all_units == bool(names):
        err.print("[bold red]错误：[/]请用 --unit 或 --units 指定单位，或用 --all 生成全部单位"
                  "（二者选一）。")
        raise typer.Exit(Exit.USAGE)
    documents = [d.strip() for d in (docs or "").replace("，", ",").split(",") if d.strip()]
    try:
        root = config.project_root()
        with progress.ConsoleReporter(err) as reporter:
            result = batch.run_batch(
                year, campaign, units=None if all_units else names,
                documents=documents or None, jobs=jobs, force=force,
                allow_missing=allow_missing, strict=strict, scheduler=scheduler,
                timeout=timeout,
                overrides={"data_path": str(data) if data else None, "doc_date": doc_date},
                wait=wait, root=root, reporter=reporter, isolation=isolation,
                discard_edits=discard_edits)
    except HuibaoError as exc:
        _fail(exc, debug)
        return
    except OSError as exc:  # a full disk, a read-only outputs folder
        _fail(HuibaoError(f"无法读写文件：{exc}"), debug)
        return
    except KeyboardInterrupt:   # while planning: the batch handles it once tasks start
        _interrupted_before_start()
    progress.print_summary(result, out, _relative)
    raise typer.Exit(result.exit_code)


@app.command()
def rollup(
    year: Year = None,
    campaign: Campaign = "wenming_city",
    docs: Annotated[str | None, typer.Option(
        "--docs", help="汇总文档类型，逗号分隔；默认 工作总结,汇报材料")] = None,
    form: Annotated[str, typer.Option("--form", help="汇报材料形式：书面 或 迎检")] = "书面",
    volume: Annotated[bool, typer.Option(
        "--volume/--no-volume", help="把汇总和各单位的工作总结装订成一册汇编")] = True,
    pdf: Annotated[bool, typer.Option(
        "--pdf", help="同时用 LibreOffice 一次性导出 PDF（需已安装：make render-deps）")] = False,
    jobs: Jobs = None,
    force: Force = False,
    allow_missing: AllowMissing = False,
    scheduler: Scheduler = None,
    timeout: Timeout = 600,
    data: Data = None,
    doc_date: DocDate = None,
    debug: Debug = False,
) -> None:
    """生成上级汇总：全部单位的工作总结、汇总工作总结和汇报材料、汇编，可选 PDF。

    汇总地区名称和署名在 params/<类别>/rollup.yaml，综合得分权重和图表在
    templates/<类别>/rollup.yaml。输入未变化的文档跳过；任一单位数据变化时，
    该单位和汇总文档重新生成，汇编重新装订。输出：outputs/<年度>/<类别>/。

    示例：huibao rollup --year 2025 --campaign wenming_city --pdf
    """
    from huibao.app import progress
    from huibao.run import rollup
    documents = [d.strip() for d in (docs or "").replace("，", ",").split(",") if d.strip()]
    try:
        root = config.project_root()
        with progress.ConsoleReporter(err) as reporter:
            result = rollup.run_rollup(
                year, campaign, documents=documents or None, form=form, volume=volume,
                pdf=pdf, jobs=jobs, force=force, allow_missing=allow_missing,
                scheduler=scheduler, timeout=timeout, wait=False,
                data_path=str(data) if data else None, doc_date=doc_date, root=root,
                reporter=reporter)
    except HuibaoError as exc:
        _fail(exc, debug)
        return
    except OSError as exc:
        _fail(HuibaoError(f"无法读写文件：{exc}"), debug)
        return
    except KeyboardInterrupt:   # planning, the documents or the 汇编/PDF: any may be done
        err.print("已中断；已生成的文档保留，再次运行同一命令即可继续。")
        raise typer.Exit(130) from None
    progress.print_summary(result.batch, out, _relative)
    if result.volume is not None:
        out.print(f"汇编（{result.volume_status}）：{_relative(result.volume)}", highlight=False)
    elif volume:
        err.print(f"[yellow]汇编{result.volume_status}[/]", highlight=False)
    if result.pdfs:
        out.print(f"已导出 PDF {len(result.pdfs)} 个（与各 .docx 同目录）。", highlight=False)
    raise typer.Exit(result.exit_code)


@app.command()
def params(
    unit: Annotated[str, typer.Option("--unit", "-u", help="单位名称，如 示例县")],
    campaign: Campaign = "wenming_city",
    year: Year = None,
    debug: Debug = False,
) -> None:
    """显示一个单位合并后的参数（YAML）：defaults.yaml，再由 <单位>.yaml 和命令行覆盖。

    示例：huibao params --unit 示例县 --year 2025
    """
    from huibao.packs.params import files, merged, to_yaml
    try:
        folder = config.project_root() / "params"
        used = files(folder, campaign, config.safe_name(unit))
        values = merged(folder, campaign, unit, {"year": year})
    except HuibaoError as exc:
        _fail(exc, debug)
        return
    sources = " ← ".join(_relative(p) for p in used) or "（没有参数文件）"
    typer.echo(f"# {unit}：{sources}" + (" ← 命令行" if year is not None else ""))
    typer.echo(to_yaml(values), nl=False)


@app.command()
def check(
    files: Annotated[list[Path] | None, typer.Argument(
        help="数据文件（.xlsx/.csv）或文件夹；默认取参数文件中的 data_path", show_default=False)]
    = None,
    campaign: Campaign = "wenming_city",
    year: Annotated[int | None, typer.Option("--year", "-y", help="只检查这一年的必填项")] = None,
    allow_missing: Annotated[bool, typer.Option(
        "--allow-missing", help="必填项缺失只作为警告（生成时显示为【待填】）")] = False,
    strict: Strict = False,
    limit: Annotated[int, typer.Option(
        "--limit", help="同一工作表的同类问题最多列出几个（0：全部）")] = 20,
    report: Annotated[Path | None, typer.Option(
        "--report", help="把全部问题写入 CSV 文件（可用 Excel 打开）", show_default=False)] = None,
    debug: Debug = False,
) -> None:
    """检查数据文件，一次列出全部问题（不生成文档）。

    退出码：0 没有错误（可能有警告）；1 有错误；2 参数无法使用。

    示例：huibao check data/wenming_city_sample.xlsx
    """
    from huibao.app import data_commands
    try:
        root = config.project_root()
        result = data_commands.run_check(files or [], campaign, root, year=year,
                                    allow_missing=allow_missing, strict=strict)
    except HuibaoError as exc:
        _fail(exc, debug)
        return
    data_commands.print_report(result, out, limit=max(0, limit), report=report)
    raise typer.Exit(Exit.FAILED if result.findings.errors else Exit.OK)


@app.command()
def template(
    year: Annotated[int, typer.Option("--year", "-y", help="采集年度")],
    campaign: Campaign = "wenming_city",
    units: Annotated[str | None, typer.Option(
        "--units", help="单位名称，逗号分隔；默认沿用现有数据中的单位信息")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o",
        help="输出文件；默认 outputs/采集表/<类别><年度>年数据采集表.xlsx")] = None,
    force: Annotated[bool, typer.Option("--force", help="输出文件已存在时覆盖")] = False,
    debug: Debug = False,
) -> None:
    """生成下发给各单位填写的数据采集表（Excel）。

    示例：huibao template --year 2026 --units 示例县,云溪区
    """
    from huibao.app import data_commands
    try:
        root = config.project_root()
        path, count = data_commands.make_template(campaign, year, root, units=units, output=output,
                                             force=force)
    except HuibaoError as exc:
        _fail(exc, debug)
        return
    out.print(f"[green]已生成[/] {_relative(path)}（{count}个单位）")


@app.command()
def version() -> None:
    """显示版本号。"""
    out.print(f"huibao {__version__}")


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("已中断。")
        sys.exit(130)
    except Exception as exc:  # a defect of the kit: never a bare traceback for the analyst
        if "--debug" in sys.argv:
            raise
        err.print(f"[bold red]内部错误[/]（{type(exc).__name__}：{exc}）。这是 huibao 的缺陷，"
                  "不是数据的问题；已生成的文件不受影响。"
                  "请加 --debug 重新运行，并把输出报告给维护者。")
        sys.exit(Exit.FAILED)


if __name__ == "__main__":
    main()
