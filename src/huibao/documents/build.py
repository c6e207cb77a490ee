"""The build tail every document kind shares: template → text → exhibits → outline → file.

A scope prepares a ``Subject`` (its template context, template, exhibits, signatory);
``build`` renders the narrative, draws only the exhibits the text places (charts are
most of a document's cost), and assembles the outline. ``Draft`` is what a notebook
holds: one subject and kind, with the tables an analyst looks at and the file it writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from huibao import config
from huibao.documents.kinds import Kind, Subject
from huibao.prose import narrative, phrasing
from huibao.prose.functions import date_of
from huibao.render import word
from huibao.render.layout import load_profile
from huibao.render.outline import ORIGINS, Document, Figure, Heading, Paragraph, Signature, Table

SPOKEN = ("汇报材料", "迎检")   # a 汇报材料 spoken to an inspection team: no signature


def build(kind: Kind, subject: Subject, year: int, figures_dir: Path, *,
          doc_date: str | dt.date | None = None) -> Document:
    """Render ``subject``'s template for ``kind`` into an outline with its exhibits.

    A 汇报材料 spoken to an inspection team (``form="迎检"``) has no signature; its date
    stands in brackets under the title instead.
    """
    template = subject.template(kind.document)
    text = narrative.render(template, subject.context())
    narrative.check_leaks(text, str(template))
    exhibits = subject.exhibits(figures_dir, narrative.exhibit_keys(text))
    date = date_of(doc_date if doc_date is not None else subject.default_date, year)
    spoken = (kind.document, subject.form) == SPOKEN
    name = subject.pack.name
    return Document(
        title=kind.title_for(subject.name, year, name),
        subtitle=f"（{phrasing.fmt_date(date)}）" if spoken else None,
        blocks=narrative.parse(text, exhibits, subject.own_texts()),
        signature=None if spoken else Signature(subject.signatory, date),
        author=subject.signatory,
        created=dt.datetime.combine(date, dt.time(9, 0)),
        keywords=f"{name};{kind.document};{year}{kind.keywords}",
    )


@dataclass
class Draft:
    """One document being made in a notebook: its subject, kind and output folder."""

    kind: Kind
    subject: Subject
    year: int
    output_dir: Path
    doc_date: str | dt.date | None = None
    root: Path | None = None

    def key_table(self) -> pd.DataFrame:
        """The figures an analyst checks first (indicators, or the area's ranking)."""
        return self.subject.key_table()

    def headline(self) -> str:
        """Key numbers as lines of text (nbval compares them, so the format is stable)."""
        return self.subject.headline()

    def build(self) -> Document:
        """The outline; its charts are drawn into ``output_dir/figures``."""
        return build(self.kind, self.subject, self.year, self.output_dir / "figures",
                     doc_date=self.doc_date)

    def preview(self, doc: Document) -> pd.DataFrame:
        """The document's text in order — headings, paragraphs, tables, figures — each
        marked by where it came from (数据生成, 单位提供, 通用表述), to read in the notebook."""
        rows = []
        for b in doc.blocks:
            if isinstance(b, Heading):
                kind = "标题" if b.body is None else "小标题段"
                text = b.text + (b.body or "")
            elif isinstance(b, Paragraph):
                kind, text = "段落", b.text
            elif isinstance(b, Table):
                kind, text = "表", f"{b.caption}（{len(b.rows)}行）"
            else:
                kind, text = "图", b.caption
            origin = getattr(b, "origin", None)
            rows.append({"类型": kind, "来源": ORIGINS.get(origin or "", "数据生成"
                                                      if kind in ("表", "图") else ""),
                         "文字": text})
        return pd.DataFrame(rows)

    def fallbacks(self) -> list[str]:
        """The parts where the unit supplied no 文字材料 and generic wording was used
        (what to ask the unit for); call after ``build``."""
        own = self.subject.context().get("own") if hasattr(self.subject, "context") else None
        return list(dict.fromkeys(own.fallbacks)) if own is not None else []

    def write(self, doc: Document) -> Path:
        """Write ``doc`` as ``output_dir/<document>.docx`` in the office's layout profile,
        with its generation record (``<document>.generated.json``) beside it."""
        profile = load_profile(config.layout_profile_path(root=self.root))
        # The figures the document may quote, for the generation record beside it: a later
        # run lists those that went stale in the analyst's kept paragraphs.
        numbers = getattr(self.subject, "numbers", None)
        return word.write_docx(doc, self.output_dir / f"{self.kind.document}.docx", profile,
                               numbers=numbers() if numbers else None)

    def show_figures(self, doc: Document, width: int = 560) -> None:
        """Display the document's figures with their captions (in a notebook)."""
        from IPython.display import Image, display

        for figure in figures(doc):
            print(figure.caption)
            display(Image(filename=str(figure.image), width=width))


def figures(doc: Document) -> list[Figure]:
    """The figures of a document, in order."""
    return [b for b in doc.blocks if isinstance(b, Figure)]
