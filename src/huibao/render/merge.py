"""Three-way merge of an analyst's edits into a newly generated document, by block identity.

base
    the generation record of the document last written (``<文档>.generated.json``):
    each identity's text and visible formatting, and the figures the document quoted;
mine
    the .docx on disk, as the analyst saved it from Word, WPS or LibreOffice;
theirs
    the new generation (a python-docx document and its record).

Rules, for each identity: unedited in mine (same text and formatting as base) → the new
text; edited → the analyst's paragraph XML, formatting and all (a table too: whole, never
cell by cell); edited while the generated version changed as well → the analyst's, listed
as a conflict with both versions; absent from mine (deleted) → stays deleted; new in theirs
→ the new block. Paragraphs the analyst added (no identity) stay after the block they
followed. The order is the new generation's. Figures in kept and added paragraphs are
copied; comments and footnotes are not (they are in the backup), and the merge says so.

Stale numbers: in every kept block (edited or added), each figure of an indicator whose
value changed since base, in the form the document printed it (8562名, or the bare 8562),
is listed old → new with the block's opening words.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import nsmap, qn
from lxml import etree

from huibao.render import files, identity

FORMAT = 1
RECORD_SUFFIX = ".generated.json"
_R_NS = nsmap["r"]
_BOOKMARK_START, _BOOKMARK_END = qn("w:bookmarkStart"), qn("w:bookmarkEnd")
_ID = qn("w:id")
_OPENING = 16   # characters of a block shown to name it


def record_path(docx: Path) -> Path:
    """``工作总结.docx`` → ``工作总结.generated.json`` beside it."""
    return Path(docx).with_name(Path(docx).stem + RECORD_SUFFIX)


# -- the generation record -----------------------------------------------------------------

def forms(entry: dict) -> list[str]:
    """How a figure may appear in text: as printed (8562名), and bare (8562) when that is
    distinctive enough (three digits or more, or a decimal) not to match by chance."""
    text = str(entry.get("text") or "")
    out = [text] if text and re.search(r"\d", text) else []
    bare = re.search(r"\d+(?:\.\d+)?", text)
    if bare and bare.group() != text and (len(bare.group()) >= 3 or "." in bare.group()):
        out.append(bare.group())
    return out


@functools.lru_cache(maxsize=4096)
def _pattern(form: str) -> re.Pattern:
    return re.compile(r"(?<![\d.])" + re.escape(form) + r"(?!\d|\.\d)")


def quoter(numbers: dict[str, dict]) -> Callable[[str], list[str]]:
    """A function giving the indicator keys whose figures a text quotes (the forms of
    ``numbers`` worked out once, for every block of a document)."""
    finders = [(key, [(f, _pattern(f)) for f in forms(entry)])
               for key, entry in numbers.items()]
    finders = [(key, found) for key, found in finders if found]

    def quoted(text: str) -> list[str]:
        return [key for key, found in finders
                if any(form in text and pattern.search(text) for form, pattern in found)]
    return quoted


def make_record(body: etree._Element, kinds: dict[str, str], numbers: dict[str, dict],
                docx_sha256: str) -> dict:
    """What a generated document says, identity by identity (see the module doc)."""
    blocks = []
    quoted = quoter(numbers)
    for el in identity.read(body):
        if el.id is None:
            continue
        text = el.text
        blocks.append({"id": el.id, "kind": kinds.get(el.id, ""), "text": text,
                       "sig": el.signature, "numbers": quoted(text)})
    return {"format": FORMAT, "docx_sha256": docx_sha256, "numbers": numbers,
            "blocks": blocks}


def write_record(path: Path, record: dict) -> None:
    text = json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    files.write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_record(path: Path) -> dict | None:
    """The record at ``path``; None when absent, unreadable or of another format."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT \
            or not isinstance(data.get("blocks"), list):
        return None
    return data


# -- the merge -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Kept:
    """A block kept from the analyst's file: edited (``id``) or added (``after``)."""

    id: str | None
    text: str
    after: str | None = None     # added: the identity of the block it followed


@dataclass(frozen=True)
class Conflict:
    """An edited block whose generated text changed too: the analyst's was kept."""

    id: str
    mine: str
    theirs: str | None           # None: the new generation no longer has the block
    base: str


@dataclass(frozen=True)
class Stale:
    """A figure in a kept block whose indicator has a new value."""

    key: str
    name: str
    old: str
    new: str
    opening: str                 # the block's first words


@dataclass
class Report:
    edited: list[Kept] = field(default_factory=list)
    added: list[Kept] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    stale: list[Stale] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # what could not be carried over

    def counts(self) -> dict[str, int]:
        return {"edited": len(self.edited), "added": len(self.added),
                "deleted": len(self.deleted), "conflicts": len(self.conflicts),
                "stale": len(self.stale)}


def same_generation(base: dict, theirs: dict) -> bool:
    """Whether the new generation says exactly what the last one did."""
    def shape(record: dict) -> list:
        return [(b["id"], b["sig"]) for b in record["blocks"]]
    return shape(base) == shape(theirs)


def _sig(sig: list) -> list[list[str]]:
    return [list(x) for x in sig]


def merge(base: dict, mine: DocxDocument, theirs: DocxDocument, new: dict) -> Report:
    """Merge ``mine``'s edits into ``theirs`` in place; ``base``/``new``: their records."""
    report = Report()
    base_by_id = {b["id"]: b for b in base["blocks"]}
    new_by_id = {b["id"]: b for b in new["blocks"]}
    mine_els = identity.read(mine.element.body)
    theirs_els = identity.read(theirs.element.body)
    theirs_ids = {e.id for e in theirs_els if e.id}
    copier = _Copier(mine, theirs, report)

    # mine → anchors (identities of base) with the paragraphs added after each
    after: dict[str | None, list[etree._Element]] = {}
    kept: dict[str, etree._Element] = {}
    in_mine: set[str] = set()
    last_mine: str | None = None     # last anchor seen in mine (added text follows it)
    last_placed: str | None = None   # last anchor that has a place in theirs
    for el in mine_els:
        if el.id is not None and el.id in base_by_id:
            in_mine.add(el.id)
            last_mine = el.id
            b = base_by_id[el.id]
            edited = _sig(el.signature) != _sig(b["sig"])
            if el.id in theirs_ids:
                last_placed = el.id
                if edited:
                    kept[el.id] = copier.copy(el.xml)
            elif edited:   # the generation dropped it; the analyst's version stays
                after.setdefault(last_placed, []).append(copier.copy(el.xml))
            if edited:
                report.edited.append(Kept(el.id, el.text))
                theirs_text = new_by_id[el.id]["text"] if el.id in new_by_id else None
                theirs_sig = new_by_id[el.id]["sig"] if el.id in new_by_id else None
                if theirs_sig is None or _sig(theirs_sig) != _sig(b["sig"]):
                    report.conflicts.append(Conflict(el.id, el.text, theirs_text, b["text"]))
            continue
        after.setdefault(last_placed, []).append(copier.copy(el.xml))
        if el.text.strip() or _has_content(el.xml):   # an empty line is not worth a line
            report.added.append(Kept(None, el.text, last_mine))
    report.deleted = [i for i in base_by_id if i not in in_mine]

    out: list[etree._Element] = list(after.get(None, []))
    for el in theirs_els:
        if el.id in kept:
            out.append(kept[el.id])
        elif el.id is None or el.id not in base_by_id or el.id in in_mine:
            out.append(el.xml)
        # else: deleted by the analyst, stays deleted
        out.extend(after.get(el.id, []) if el.id else [])
    _replace_body(theirs, out)
    report.stale = stale_numbers(report, base.get("numbers", {}), new.get("numbers", {}))
    return report


def stale_numbers(report: Report, old: dict[str, dict], new: dict[str, dict]) -> list[Stale]:
    changed = {k: e for k, e in old.items()
               if k not in new or new[k].get("value") != e.get("value")}
    out = []
    for block in [*report.edited, *report.added]:
        for key, entry in changed.items():
            for form in forms(entry):
                if _pattern(form).search(block.text):
                    now = new.get(key, {}).get("text") or "（无数据）"
                    out.append(Stale(key, entry.get("name", key), entry.get("text", form), now,
                                     _opening(block.text)))
                    break
    return out


def _opening(text: str) -> str:
    text = text.strip().replace("\n", " ")
    return text if len(text) <= _OPENING else text[:_OPENING] + "……"


def _has_content(el: etree._Element) -> bool:
    """A paragraph without text that still shows something (a picture, a break)."""
    return any(etree.QName(n).localname in ("drawing", "pict", "object", "br", "sectPr")
               for n in el.iter())


def _replace_body(doc: DocxDocument, elements: list[etree._Element]) -> None:
    body = doc.element.body
    sect = body.find(qn("w:sectPr"))
    for el in list(body):
        if el is not sect:
            body.remove(el)
    for el in elements:
        if sect is not None:
            sect.addprevious(el)
        else:
            body.append(el)
    _renumber_bookmarks(body)


def _renumber_bookmarks(body: etree._Element) -> None:
    """Unique bookmark ids in document order; a start or end without its pair goes.

    Kept paragraphs bring the ids of the analyst's file, which may clash with the new
    generation's; ``_Copier`` prefixes them ``m`` so that the two never pair up.
    """
    end_ids = {e.get(_ID) for e in body.iter(_BOOKMARK_END)}
    numbers: dict[str, str] = {}
    for s in list(body.iter(_BOOKMARK_START)):
        old = s.get(_ID)
        if old in numbers or old not in end_ids:
            s.getparent().remove(s)
        else:
            numbers[old] = str(len(numbers))
            s.set(_ID, numbers[old])
    for e in list(body.iter(_BOOKMARK_END)):
        new = numbers.pop(e.get(_ID), None)   # one end per start
        if new is None:
            e.getparent().remove(e)
        else:
            e.set(_ID, new)


class _Copier:
    """Deep copies of the analyst's elements that hold in the new package: pictures and
    links re-related, styles mapped by name, comments and notes left out (and said so)."""

    _DROP: ClassVar = frozenset({"commentRangeStart", "commentRangeEnd"})
    _DROP_RUN: ClassVar = {"commentReference": "批注", "footnoteReference": "脚注",
                           "endnoteReference": "尾注"}

    def __init__(self, mine: DocxDocument, theirs: DocxDocument, report: Report) -> None:
        self.mine, self.theirs, self.report = mine, theirs, report
        self._rels: dict[str, str | None] = {}
        self._styles: dict[str, str | None] = {}

    def copy(self, el: etree._Element) -> etree._Element:
        el = copy.deepcopy(el)
        for s in el.iter(_BOOKMARK_START, _BOOKMARK_END):
            s.set(_ID, "m" + (s.get(_ID) or ""))
            if s.tag == _BOOKMARK_START and s.get(qn("w:name")) == "_GoBack":
                s.set(_ID, "mdrop")   # Word's cursor mark: no end will match
        for node in list(el.iter()):
            if not isinstance(node.tag, str):
                continue
            local = etree.QName(node).localname
            if local in self._DROP:
                node.getparent().remove(node)
            elif local in self._DROP_RUN:
                self._note(f"保留的段落中的{self._DROP_RUN[local]}未能带入新文档（见备份）")
                run = next((a for a in node.iterancestors(qn("w:r"))), node)
                if run.getparent() is not None:
                    run.getparent().remove(run)
        for node in list(el.iter()):
            if not isinstance(node.tag, str):
                continue
            for attr, value in list(node.attrib.items()):
                if attr.startswith("{" + _R_NS + "}"):
                    new = self._relate(value)
                    if new is None:
                        self._note("保留的段落中有无法带入新文档的嵌入对象（见备份）")
                        run = next((a for a in node.iterancestors(qn("w:r"))), None)
                        target = run if run is not None else node
                        if target.getparent() is not None:
                            target.getparent().remove(target)
                        break
                    node.set(attr, new)
            for tag in ("w:pStyle", "w:rStyle", "w:tblStyle"):
                if node.tag == qn(tag):
                    self._style(node)
        return el

    def _note(self, text: str) -> None:
        if text not in self.report.notes:
            self.report.notes.append(text)

    def _relate(self, rid: str) -> str | None:
        if rid in self._rels:
            return self._rels[rid]
        rel = self.mine.part.rels.get(rid)
        new = None
        if rel is not None and rel.is_external:
            new = self.theirs.part.relate_to(rel.target_ref, rel.reltype, is_external=True)
        elif rel is not None and rel.reltype == RT.IMAGE:
            new, _ = self.theirs.part.get_or_add_image(io.BytesIO(rel.target_part.blob))
        self._rels[rid] = new
        return new

    def _style(self, node: etree._Element) -> None:
        """A style of the analyst's file, by name, among the new document's styles."""
        val = node.get(qn("w:val"))
        if val not in self._styles:
            mine = self.mine.styles.element.get_by_id(val)
            name = mine.name_val if mine is not None else None
            theirs = self.theirs.styles.element.get_by_name(name) if name else None
            if theirs is None:
                theirs = self.theirs.styles.element.get_by_id(val)
            self._styles[val] = theirs.styleId if theirs is not None else None
        new = self._styles[val]
        if new is None:
            node.getparent().remove(node)
        else:
            node.set(qn("w:val"), new)
