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


class UsageError(HuibaoError):
    """The command's arguments cannot be used (the CLI exits with code 2)."""


class PackError(HuibaoError):
    """A campaign pack or layout profile (YAML/template) is malformed."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem
        self.message = f"配置文件 {path} 有误：{problem}"


def locate(problem: str, where: str, value: object = None, expected: str | None = None) -> str:
    """One located message: '{where}：{problem}（当前值：{value}），应为{expected}。'"""
    text = f"{where}：{problem}" if where else problem
    if value is not None and value != "":
        text += f"（当前值：{value!s}）"
    if expected:
        text += f"，应为{expected}"
    return text if text.endswith(("。", "？", "！")) else text + "。"


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
        letter: str | None = None,
    ) -> None:
        super().__init__(problem, file, sheet, row, column, value, expected, letter)
        self.problem = problem
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        self.value = value
        self.expected = expected
        self.letter = letter
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
            where.append(f"{self.letter or ''}列“{self.column}”")
        return locate(self.problem, "，".join(where), self.value, self.expected)


class InvalidData(DataError):
    """Validation found errors that stop ``subject`` (a unit, or a whole run).

    Carries every message; ``str()`` lists the first few so a summary stays readable.
    """

    SHOWN = 5

    def __init__(self, subject: str, messages: list[str]) -> None:
        HuibaoError.__init__(self, subject, list(messages))
        self.subject = subject
        self.messages = list(messages)
        self.problem = f"{subject}的数据有{len(self.messages)}处错误"
        self.file = self.sheet = self.column = self.value = self.expected = self.letter = None
        self.row = None
        shown = "\n".join(f"  {i}. {m}" for i, m in enumerate(self.messages[:self.SHOWN], 1))
        more = len(self.messages) - self.SHOWN
        tail = f"\n  ……另有{more}处，用 huibao check 查看全部。" if more > 0 else ""
        self.message = f"{self.problem}：\n{shown}{tail}"


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
