"""The analyst's edits at promotion: never lose them, merge them into the new generation.

``settle`` puts a newly generated .docx (and its generation record) in place of the unit's
document, by the first rule that applies:

* no document there, or the one there is exactly what the kit wrote last time → the new one;
* the document is open in Word or WPS (its ``~$`` owner file is there) or LibreOffice
  (``.~lock.…#``) → ``DocumentOpen``: nothing is written, the batch reports it;
* ``discard`` (``huibao run --discard-edits``) → the new one, after a backup;
* the document has no block identities (a foreign or corrupt file, or the text pasted into
  a new file) or no generation record to merge against → it stays untouched and the new
  one is written beside it (``<文档>.新生成.docx``);
* otherwise a three-way merge (``huibao.render.merge``) after a backup; when the new
  generation says exactly what the last one did, the analyst's file stays byte for byte.

A backup is a byte-for-byte copy ``<文档>.备份<时间>.docx`` in the unit folder. Each merge
writes a review file ``<文档>.修改核对.txt`` for the analyst: kept blocks, conflicts with
both versions, and figures in kept blocks whose indicator has a new value (old → new).
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import docx as python_docx
from docx.opc.exceptions import PackageNotFoundError

from huibao.errors import HuibaoError
from huibao.render import files, identity, merge, reproducible

REVIEW_SUFFIX = ".修改核对.txt"
BESIDE = "新生成"
BACKUP = "备份"


class DocumentOpen(HuibaoError):
    """The unit's document is open in an editor: it is not overwritten."""

    def __init__(self, path: str, owner: str) -> None:
        super().__init__(path, owner)
        self.path, self.owner = path, owner

    def __str__(self) -> str:
        return (f"{Path(self.path).name} 正在 Word/WPS/LibreOffice 中打开（有 {self.owner}），"
                "本次未覆盖；请保存并关闭文档后重新运行")


@dataclass
class Settled:
    """What ``settle`` did. ``docx`` is the document now current (maybe the beside one)."""

    how: str                        # "new" | "replaced" | "merged" | "beside"
    docx: Path
    sha256: str
    record: Path
    backup: Path | None = None
    review: Path | None = None
    report: merge.Report | None = None
    message: str | None = None
    stale: list[merge.Stale] = field(default_factory=list)

    def summary(self) -> dict:
        """The manifest's ``edits`` (None for a plain write)."""
        if self.how in ("new", "replaced") and self.backup is None:
            return {}
        out: dict = {"how": self.how}
        if self.report is not None:
            out.update(self.report.counts())
            out["conflict_ids"] = [c.id for c in self.report.conflicts]
            out["stale_numbers"] = [{"indicator": s.key, "name": s.name, "old": s.old,
                                     "new": s.new, "opening": s.opening}
                                    for s in self.report.stale]
        return out


def edit_counts(counts: dict) -> str:
    """保留修改 2 段、新增 1 段、删除 1 段，冲突 1 处，数字待核对 1 处 (``Report.counts``)."""
    parts = [f"保留修改 {counts.get('edited', 0)} 段", f"新增 {counts.get('added', 0)} 段",
             f"删除 {counts.get('deleted', 0)} 段"]
    text = "、".join(parts) + f"，冲突 {counts.get('conflicts', 0)} 处"
    return text + f"，数字待核对 {counts.get('stale', 0)} 处"


def owner_file(docx: Path) -> Path | None:
    """The lock file an editor keeps beside an open document, if there is one.

    Word and WPS write ``~$`` and the name, its first one or two characters dropped when
    it is long; LibreOffice ``.~lock.<name>#``.
    """
    folder = docx.parent
    if not folder.is_dir():
        return None
    lo = folder / f".~lock.{docx.name}#"
    if lo.exists():
        return lo
    for f in folder.glob("~$*"):
        rest = f.name[2:]
        if rest and docx.name.endswith(rest):
            return f
    return None


def backup_path(docx: Path, when: dt.datetime) -> Path:
    stamp = f"{when:%Y%m%d-%H%M%S}"
    path = docx.with_name(f"{docx.stem}.{BACKUP}{stamp}{docx.suffix}")
    n = 1
    while path.exists():
        n += 1
        path = docx.with_name(f"{docx.stem}.{BACKUP}{stamp}-{n}{docx.suffix}")
    return path


def review_path(docx: Path) -> Path:
    return docx.with_name(docx.stem + REVIEW_SUFFIX)


def beside_path(docx: Path) -> Path:
    return docx.with_name(f"{docx.stem}.{BESIDE}{docx.suffix}")


def _backup(target: Path, now: dt.datetime) -> Path:
    path = backup_path(target, now)
    files.write(path, lambda tmp: shutil.copyfile(target, tmp), durable=True)
    return path


def _open(path: Path):
    try:
        return python_docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError):
        return None
    except Exception:  # lxml's XMLSyntaxError and the like: a corrupt package
        return None


def edited(target: Path, previous_sha: str | None) -> bool:
    """Whether the document on disk is not exactly what the kit generated last time.

    Compared with the generation record's hash: a merged document is the analyst's too, so
    the manifest's hash (which is the merged file's) does not make it unedited. Only a
    document without a record (made before records existed) is judged by the manifest.
    """
    if not target.is_file():
        return False
    sha = files.digest(target)
    record = merge.read_record(merge.record_path(target))
    if record is not None:
        return sha != record.get("docx_sha256")
    return sha != previous_sha


def _merge_parts(target: Path):
    """The analyst's document and the record it was generated from, and why it cannot be
    merged (None when it can: it reads as Word, has a record, and still carries block
    identities)."""
    mine = _open(target)
    base = merge.read_record(merge.record_path(target))
    why = ("无法作为 Word 文档读取" if mine is None else
           "缺少上次的生成记录" if base is None else
           "不含本工具的段落标识（可能是另建的文件）" if not base["blocks"]
           or not identity.has_identities(mine.element.body) else None)
    return mine, base, why


def mergeable(target: Path) -> bool:
    """An edited document that can be merged: it still carries block identities."""
    return _merge_parts(target)[2] is None


def settle(new_docx: Path, target: Path, *, previous_sha: str | None = None,
           discard: bool = False, now: dt.datetime | None = None) -> Settled:
    """Put ``new_docx`` (with its record beside it) in place of ``target`` (module doc)."""
    now = now or dt.datetime.now()
    new_record = merge.record_path(new_docx)
    if not target.exists():
        return _place(new_docx, target, "new")
    owner = owner_file(target)
    if owner is not None:
        raise DocumentOpen(str(target), owner.name)
    if not edited(target, previous_sha):
        return _place(new_docx, target, "replaced")
    if discard:
        backup = _backup(target, now)
        done = _place(new_docx, target, "replaced")
        done.backup = backup
        done.message = f"已按 --discard-edits 重新生成，原文件备份为 {backup.name}"
        return done
    mine, base, why = _merge_parts(target)
    if why is not None:
        beside = beside_path(target)
        if beside.exists() and edited(beside, None):
            _backup(beside, now)
        done = _place(new_docx, beside, "beside")
        done.message = (f"{target.name} {why}，未合并、未改动；新生成的文档另存为 {beside.name}")
        return done
    theirs = python_docx.Document(str(new_docx))
    record = merge.read_record(new_record)
    if record is None:   # made without Draft.write: its record from the file itself
        record = merge.make_record(theirs.element.body, {}, {},
                                   files.digest(new_docx))
        merge.write_record(new_record, record)
    report = merge.merge(base, mine, theirs, record)
    if merge.same_generation(base, record):
        # Nothing new to bring in: the analyst's file stays as it is, byte for byte.
        _keep_or_place(new_record, merge.record_path(target))
        new_docx.unlink(missing_ok=True)
        review = None
        if report.stale:   # a figure the analyst added went stale; the text did not change
            review = review_path(target)
            write_review(review, target, report, None, now)
        return Settled("merged", target, files.digest(target),
                       merge.record_path(target), review=review, report=report,
                       stale=report.stale)
    backup = _backup(target, now)
    when = _zip_time(new_docx)
    files.place(new_record, merge.record_path(target), durable=True)
    files.write(target, lambda tmp: reproducible.save_docx(theirs, tmp, when), durable=True)
    new_docx.unlink(missing_ok=True)
    review = review_path(target)
    write_review(review, target, report, backup, now)
    return Settled("merged", target, files.digest(target),
                   merge.record_path(target), backup=backup, review=review, report=report,
                   stale=report.stale)


def outlook(target: Path, theirs, kinds: dict[str, str],
            numbers: dict[str, dict] | None = None) -> merge.Report | None:
    """What writing ``theirs`` (a new document in memory, changed in place) over the
    analyst's ``target`` would keep: a dry run of ``settle``'s merge for the notebook
    preview. None when nothing would be kept: no document there, an unedited one, or one
    that is not merged (no identities or record: the new one goes beside it)."""
    if not target.is_file() or owner_file(target) is not None or not edited(target, None):
        return None
    mine, base, why = _merge_parts(target)
    if why is not None:
        return None
    record = merge.make_record(theirs.element.body, kinds, numbers or {}, "")
    return merge.merge(base, mine, theirs, record)


def _keep_or_place(source: Path, target: Path) -> None:
    """Move ``source`` onto ``target`` unless they are equal (no needless new file)."""
    if target.is_file() and target.read_bytes() == source.read_bytes():
        source.unlink()
    else:
        files.place(source, target, durable=True)


def _place(new_docx: Path, target: Path, how: str) -> Settled:
    """The new document and its record in place; a document that came without a record
    (a notebook that does not write through ``Draft.write``) leaves none behind, so the
    next run never merges against the record of another document."""
    sha = files.digest(new_docx)
    record = merge.record_path(target)
    if merge.record_path(new_docx).is_file():
        files.place(merge.record_path(new_docx), record, durable=True)
    else:
        record.unlink(missing_ok=True)
    files.place(new_docx, target, durable=True)
    return Settled(how, target, sha, record)


def _zip_time(path: Path) -> dt.datetime:
    with zipfile.ZipFile(path) as zf:
        return dt.datetime(*zf.infolist()[0].date_time)


def write_review(path: Path, docx: Path, report: merge.Report, backup: Path | None,
                 now: dt.datetime) -> None:
    """The analyst's review list: plain text, readable without Python."""
    lines = [f"{docx.name} 修改核对（{now:%Y-%m-%d %H:%M} 重新生成时合并）", ""]
    c = report.counts()
    lines.append(f"保留人工修改 {c['edited']} 段，保留新增 {c['added']} 段，"
                 f"保持删除 {c['deleted']} 段；冲突 {c['conflicts']} 处；"
                 f"数字待核对 {c['stale']} 处。")
    if backup is not None:
        lines.append(f"合并前的文件已备份为 {backup.name}。")
    lines.append("")
    lines.append("一、数字待核对（保留的段落中引用的数据已更新）")
    if report.stale:
        for i, s in enumerate(report.stale, 1):
            lines.append(f"{i}. {s.name}：{s.old} → {s.new}（段落：“{s.opening}”）")
    else:
        lines.append("无。")
    lines.append("")
    lines.append("二、冲突（人工修改的段落，新生成的文字也有变化；已保留人工修改）")
    if report.conflicts:
        for i, k in enumerate(report.conflicts, 1):
            lines.append(f"{i}. 人工修改：{k.mine}")
            theirs = k.theirs if k.theirs is not None else "（新文档中已无此段）"
            lines.append(f"   新生成：{theirs}")
    else:
        lines.append("无。")
    if report.notes:
        lines.append("")
        lines.append("三、未能带入的内容")
        lines.extend(f"- {n}" for n in report.notes)
    text = "\n".join(lines) + "\n"
    files.write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
