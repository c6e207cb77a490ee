"""The kit's errors: one root, subclasses that carry where the problem is.

Every error renders a Chinese message an analyst can act on. Errors cross worker
processes, so each class passes all its constructor arguments to ``super().__init__``
and survives pickling (checked by tests/test_errors.py).
"""

from __future__ import annotations


class HuibaoError(Exception):
    """Root of every error the kit raises on purpose."""

    def __init__(self, *args: object) -> None:
        # Subclasses pass all their constructor arguments here so that pickling
        # (which calls ``cls(*self.args)``) rebuilds them; they then set ``message``.
        super().__init__(*args)
        self.message = str(args[0]) if args else ""

    def __str__(self) -> str:
        return self.message


class PackError(HuibaoError):
    """A campaign pack or layout profile (YAML/template) is malformed."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem
        self.message = f"配置文件 {path} 有误：{problem}"


class DataError(HuibaoError):
    """Input data cannot be used; names file, sheet, Excel row and column."""

    def __init__(
        self,
        problem: str,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        expected: str | None = None,
    ) -> None:
        super().__init__(problem, file, sheet, row, column, value, expected)
        self.problem = problem
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        self.value = value
        self.expected = expected
        self.message = self._render()

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(f"文件 {self.file}")
        if self.sheet:
            where.append(f"工作表“{self.sheet}”")
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"列“{self.column}”")
        text = "，".join(where)
        text = f"{text}：{self.problem}" if text else self.problem
        if self.value is not None:
            text += f"（当前值：{self.value!s}）"
        if self.expected:
            text += f"，应为{self.expected}"
        return text + "。"


class UnknownNameError(HuibaoError):
    """A registry lookup failed; lists the names that exist."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        super().__init__(kind, name, known)
        self.kind = kind
        self.name = name
        self.known = list(known)
        listing = "、".join(self.known) if self.known else "（无）"
        self.message = f"未找到{kind}“{name}”。可用的有：{listing}"


class ChartError(HuibaoError):
    """A chart could not be drawn correctly (for example a missing Chinese glyph)."""


class RenderError(HuibaoError):
    """A narrative template failed to render."""

    def __init__(self, template: str, problem: str) -> None:
        super().__init__(template, problem)
        self.template = template
        self.problem = problem
        self.message = f"模板 {template} 渲染失败：{problem}"


class RunError(HuibaoError):
    """Executing a unit's notebook failed; keeps the failing cell for the report."""

    def __init__(
        self, unit: str, notebook: str, problem: str, cell_index: int | None = None
    ) -> None:
        super().__init__(unit, notebook, problem, cell_index)
        self.unit = unit
        self.notebook = notebook
        self.problem = problem
        self.cell_index = cell_index
        cell = f"第{cell_index}个单元格" if cell_index is not None else "notebook"
        self.message = f"单位“{unit}”生成失败（{notebook} {cell}）：{problem}"
