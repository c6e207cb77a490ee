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
from huibao.render import edits, identity, merge, word
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
    home: Path | None = None   # the unit's folder, where the document lives (after a batch
    #                            promotes it from ``output_dir``); default ``output_dir``
    note: str | None = None    # what ``write`` did with the analyst's edits, if anything

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
        marked by where it came from (数据生成, 单位提供, 通用表述), to read in the notebook.

        When the unit's folder holds a document the analyst edited, the rows show what a
        re-run keeps of it: 人工修改 (the analyst's text, ``（冲突）`` when the generated
        text changed too), 人工新增 after the block it followed, 人工删除 (stays deleted).
        """
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
        return pd.DataFrame(_kept(rows, *self._outlook(doc)), columns=["类型", "来源", "文字"])

    def _outlook(self, doc: Document) -> tuple[merge.Report | None, dict[str, int]]:
        """What a re-run keeps of the analyst's document in the unit's folder."""
        target = (self.home or self.output_dir) / f"{self.kind.document}.docx"
        if not edits.edited(target, None):   # none there, or exactly as generated
            return None, {}
        writer = word.build_writer(doc, load_profile(config.layout_profile_path(root=self.root)))
        report = edits.outlook(target, writer.docx, dict(writer.identities),
                               self.subject.numbers())
        return report, writer.block_of

    def fallbacks(self) -> list[str]:
        """The parts where the unit supplied no 文字材料 and generic wording was used
        (what to ask the unit for); call after ``build``."""
        return self.subject.fallbacks()

    def write(self, doc: Document) -> Path:
        """Write ``doc`` as ``output_dir/<document>.docx`` in the office's layout profile,
        with its generation record (``<document>.generated.json``) beside it.

        Written straight into the unit's folder (a notebook run by hand), the document
        there is settled as a batch run settles it (``edits.settle``): the analyst's edits
        are merged after a backup, a foreign file is kept and the new one written beside
        it, a document open in Word is not touched. ``note`` says what was done.
        """
        profile = load_profile(config.layout_profile_path(root=self.root))
        # The figures the document may quote, for the generation record beside it: a later
        # run lists those that went stale in the analyst's kept paragraphs.
        numbers = self.subject.numbers()
        target = self.output_dir / f"{self.kind.document}.docx"
        self.note = None
        if not target.exists():
            return word.write_docx(doc, target, profile,
                                   numbers=numbers)
        fresh = target.with_name(f".{target.stem}.生成中.docx")
        try:
            word.write_docx(doc, fresh, profile, numbers=numbers)
            settled = edits.settle(fresh, target)
        finally:
            fresh.unlink(missing_ok=True)
            merge.record_path(fresh).unlink(missing_ok=True)
        if settled.report is not None:
            self.note = "已合并人工修改：" + edits.edit_counts(settled.report.counts())
            if settled.review is not None:
                self.note += f"；核对清单见 {settled.review.name}"
        else:
            self.note = settled.message
        return settled.docx

    def show_figures(self, doc: Document, width: int = 560) -> None:
        """Display the document's figures with their captions (in a notebook)."""
        from IPython.display import Image, display

        for figure in figures(doc):
            print(figure.caption)
            display(Image(filename=str(figure.image), width=width))


def _kept(rows: list[dict], report: merge.Report | None,
          block_of: dict[str, int]) -> list[dict]:
    """``rows`` (one per outline block) with the analyst's kept work marked (``preview``)."""
    if report is None:
        return rows
    rows = [dict(r) for r in rows]
    conflicts = {c.id for c in report.conflicts}
    for k in report.edited:
        i = block_of.get(k.id or "")
        if i is None:
            continue
        rows[i]["来源"] = "人工修改（冲突）" if k.id in conflicts else "人工修改"
        if rows[i]["类型"] not in ("表", "图"):
            rows[i]["文字"] = k.text
    for ident in report.deleted:
        i = block_of.get(ident)
        if i is not None and not rows[i]["来源"].startswith("人工"):
            rows[i]["来源"] = "人工删除"
    added: dict[int, list[dict]] = {}
    for k in report.added:
        # after the block it followed; before the first block when it followed the title,
        # at the end when it followed the signature
        head = k.after is None or k.after.startswith(
            (identity.PREFIX + "title", identity.PREFIX + "subtitle"))
        i = block_of.get(k.after or "", -1 if head else len(rows) - 1)
        added.setdefault(i, []).append({"类型": "段落", "来源": "人工新增", "文字": k.text})
    out = list(added.get(-1, []))
    for i, row in enumerate(rows):
        out.append(row)
        out.extend(added.get(i, []))
    return out


def figures(doc: Document) -> list[Figure]:
    """The figures of a document, in order."""
    return [b for b in doc.blocks if isinstance(b, Figure)]
