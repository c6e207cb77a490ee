"""The document outline: the seam between content and layout.

``narrative`` builds an outline from a campaign's template; ``word`` turns it into a
.docx. Templates never know about fonts or numbering, and the writer never knows
about campaigns. Heading numbers (一、（一）1.（1）) are not stored here: the writer
derives them from the heading level, so a section left out never breaks the sequence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

# Where a block's words come from, shown in the notebook preview (the writer ignores it):
# generated from the data, supplied by the unit (文字材料), the pack's generic wording, or
# kept from the analyst's edit of the last generated document.
ORIGINS = {"data": "数据生成", "unit": "单位提供", "generic": "通用表述", "edited": "人工修改"}


@dataclass(frozen=True)
class Heading:
    """A heading of level 1–4, text without its number.

    Levels 1 and 2 stand on their own line. A level 3 or 4 heading with ``body`` is
    run in: heading text (ending 。) followed by the body in the same paragraph.
    """

    level: int
    text: str
    body: str | None = None
    origin: str | None = None   # a key of ORIGINS; None: not recorded


@dataclass(frozen=True)
class Paragraph:
    """A body paragraph: first-line indent of two characters, justified.

    ``flush`` paragraphs start at the left margin: the addressee line of a written report
    (市文明办：) or the salutation of a spoken one (尊敬的考评组各位领导：).
    """

    text: str
    flush: bool = False
    origin: str | None = None   # a key of ORIGINS; None: not recorded


@dataclass(frozen=True)
class Figure:
    """A picture with its caption text (without 图N, which the writer numbers)."""

    image: Path
    caption: str
    width_mm: float | None = None


@dataclass(frozen=True)
class Table:
    """A three-line table; caption without 表N; ``unit_note`` e.g. 单位：万元."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    unit_note: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Signature:
    """署名 and 成文日期 at the end of the document."""

    signatory: str
    date: dt.date


Block = Heading | Paragraph | Figure | Table


@dataclass
class Document:
    """A whole document: title, blocks in order, signature and core properties."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    subtitle: str | None = None  # e.g. the date in brackets under a spoken report's title
    signature: Signature | None = None
    author: str = ""
    created: dt.datetime | None = None
    keywords: str = ""

    def text(self) -> str:
        """Plain text of the prose (title, headings, paragraphs), for checks and tests."""
        parts = [self.title, *([self.subtitle] if self.subtitle else [])]
        for b in self.blocks:
            if isinstance(b, Heading):
                parts.append(b.text + (b.body or ""))
            elif isinstance(b, Paragraph):
                parts.append(b.text)
        return "\n".join(parts)
