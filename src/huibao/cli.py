"""Command line: ``huibao run`` and friends. Thin: parse, call the library, report.

Library errors (``HuibaoError``) become one Chinese line on stderr and exit code 1;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
from enum import IntEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from huibao import __version__, config
from huibao.errors import HuibaoError

app = typer.Typer(help="汇报：把各单位的年度数据生成为符合 GB/T 9704 版式的 Word 文档。",
                  add_completion=False, no_args_is_help=True)
err = Console(stderr=True)
out = Console()


class Exit(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2


def _fail(exc: HuibaoError, debug: bool) -> None:
    if debug:
        raise exc
    err.print(f"[bold red]错误：[/]{exc}")
    raise typer.Exit(Exit.FAILED)


@app.command()
def run(
    unit: Annotated[str, typer.Option("--unit", "-u", help="单位名称，如 示例县")],
    campaign: Annotated[str, typer.Option("--campaign", "-c", help="创建类别")] = "wenming_city",
    year: Annotated[int | None, typer.Option("--year", "-y", help="年度；默认取参数文件")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="数据工作簿；默认取参数文件")] = None,
    doc_date: Annotated[str | None, typer.Option("--date", help="成文日期，如 2025-12-31")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示完整调用栈")] = False,
) -> None:
    """为一个单位生成工作总结（经 papermill 执行 notebook）。

    示例：huibao run --unit 示例县 --year 2025
    """
    from huibao import params, report
    from huibao.runner import run_unit

    try:
        root = config.project_root()
        p = params.merged(root / "params", campaign, unit,
                          {"year": year, "data_path": str(data) if data else None,
                           "doc_date": doc_date})
        if "year" not in p or "data_path" not in p:
            raise HuibaoError("缺少年度或数据文件：请用 --year、--data 指定，"
                              f"或写入 params/{campaign}/defaults.yaml。")
        # Check the data here, before a kernel starts: quicker, and no error notebook.
        inputs = report.load_inputs(campaign, p["data_path"], root)
        report.check_unit(inputs, unit, int(p["year"]))
        with err.status(f"正在生成 {unit}{p['year']}年{p.get('document', '工作总结')}…"):
            result = run_unit(unit, int(p["year"]), campaign, data_path=p["data_path"],
                              document=p.get("document", "工作总结"),
                              doc_date=p.get("doc_date"), root=root)
    except HuibaoError as exc:
        _fail(exc, debug)
        return
    rel = _relative(result.document)
    out.print(f"[green]已生成[/] {rel}（用时 {result.seconds:.1f} 秒）")
    out.print(f"执行记录：{_relative(result.notebook)}")


@app.command()
def check(
    files: Annotated[list[Path] | None, typer.Argument(
        help="数据文件（.xlsx/.csv）或文件夹；默认取参数文件中的 data_path", show_default=False)]
    = None,
    campaign: Annotated[str, typer.Option("--campaign", "-c", help="创建类别")] = "wenming_city",
    year: Annotated[int | None, typer.Option("--year", "-y", help="只检查这一年的必填项")] = None,
    allow_missing: Annotated[bool, typer.Option(
        "--allow-missing", help="必填项缺失只作为警告（生成时显示为【待填】）")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示完整调用栈")] = False,
) -> None:
    """检查数据文件，一次列出全部问题（不生成文档）。

    退出码：0 没有错误（可能有警告）；1 有错误；2 参数无法使用。

    示例：huibao check data/wenming_city_sample.xlsx
    """
    from huibao import checking

    try:
        root = config.project_root()
        result = checking.run_check(files or [], campaign, root, year=year,
                                    allow_missing=allow_missing)
    except checking.UsageError as exc:
        err.print(f"[bold red]错误：[/]{exc}")
        raise typer.Exit(Exit.USAGE) from None
    except HuibaoError as exc:
        _fail(exc, debug)
        return
    checking.print_report(result, out)
    raise typer.Exit(Exit.FAILED if result.findings.errors else Exit.OK)


@app.command()
def template(
    year: Annotated[int, typer.Option("--year", "-y", help="采集年度")],
    campaign: Annotated[str, typer.Option("--campaign", "-c", help="创建类别")] = "wenming_city",
    units: Annotated[str | None, typer.Option(
        "--units", help="单位名称，逗号分隔；默认沿用现有数据中的单位信息")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o",
        help="输出文件；默认 outputs/采集表/<类别><年度>年数据采集表.xlsx")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示完整调用栈")] = False,
) -> None:
    """生成下发给各单位填写的数据采集表（Excel）。

    示例：huibao template --year 2026 --units 示例县,云溪区
    """
    from huibao import checking

    try:
        root = config.project_root()
        path, count = checking.make_template(campaign, year, root, units=units, output=output)
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


if __name__ == "__main__":
    main()
