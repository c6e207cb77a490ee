"""Problems found in input data: located, in Chinese, collected rather than raised.

Reading and validation go through every file, sheet and cell and return *all* problems at
once, each naming file, sheet, the row number as Excel shows it, the column header and
letter, the value and what was expected. ``errors`` stop a unit's document; ``warnings``
(an implausible jump, an unknown sheet) are shown and do not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from huibao.errors import locate

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
Severity = Literal["error", "warning"]
SEVERITY_LABEL = {"error": "错误", "warning": "警告"}


@dataclass(frozen=True)
class Problem:
    """One located problem. ``rule`` names the check (stable, for tests and filtering)."""

    rule: str
    message: str
    severity: Severity = "error"
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    letter: str | None = None
    value: object = None
    expected: str | None = None
    unit: str | None = None
    year: int | None = None
    key: str | None = None

    @property
    def where(self) -> str:
        column = self.column
        if column and self.letter:
            column = f"{self.letter}列“{column}”"
        elif column:
            column = f"列“{column}”"
        parts = [f"文件 {self.file}" if self.file else "",
                 f"工作表“{self.sheet}”" if self.sheet else "",
                 f"第{self.row}行" if self.row is not None else "", column or ""]
        return "，".join(p for p in parts if p)

    def __post_init__(self) -> None:
        # What is shown (printed, logged, written into a document) never holds a control
        # character: the one a problem is about is shown as 〈U+0001〉.
        for name in ("message", "value", "expected"):
            text = getattr(self, name)
            if isinstance(text, str) and _CONTROL.search(text):
                object.__setattr__(self, name, _CONTROL.sub(
                    lambda m: f"〈U+{ord(m[0]):04X}〉", text))

    def text(self) -> str:
        """The whole message as one Chinese sentence."""
        return locate(self.message, self.where, self.value, self.expected)


@dataclass
class Findings:
    """Problems in the order they were found."""

    items: list[Problem] = field(default_factory=list)

    def add(self, rule: str, message: str, **where: object) -> None:
        self.items.append(Problem(rule, message, **where))  # type: ignore[arg-type]

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
