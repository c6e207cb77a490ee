"""Byte-identical documents: the same inputs give the same .docx bytes on every run.

A .docx is a zip file, and two things in it would otherwise change from run to run: the
document's core properties (created, modified, last printed) and each zip entry's time,
which python-docx sets to the current time. Both are set to one time, ``document_time``:

* ``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC) when it is set, the convention of
  reproducible builds (https://reproducible-builds.org/specs/source-date-epoch/);
* otherwise the time the document itself carries: its ``created`` time, which the report
  sets to the document date (成文日期, by default 31 December of the data year), or the
  signature date.

Zip entries are written in python-docx's order with fixed attributes and compression, so
the bytes depend only on the content and that time. Charts are PNG files written by
matplotlib without a Software text chunk and without time chunks (``charts._render``).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

    from huibao.render import outline
ENV = "SOURCE_DATE_EPOCH"
FALLBACK = dt.datetime(2000, 1, 1)   # a document with neither a date nor a signature
ZIP_EPOCH = dt.datetime(1980, 1, 1)  # the earliest time a zip entry can record


def source_date_epoch() -> dt.datetime | None:
    """``SOURCE_DATE_EPOCH`` as a naive UTC time, or None when unset or empty."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None
    try:
        seconds = int(value)
    except ValueError:
        from huibao.errors import HuibaoError

        raise HuibaoError(f"环境变量 {ENV} 应为整数秒（当前值：{value}）") from None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)


def document_time(doc: outline.Document) -> dt.datetime:
    """The one time written into ``doc``'s file (see the module doc)."""
    fixed = source_date_epoch()
    if fixed is not None:
        return fixed
    if doc.created is not None:
        return doc.created.replace(tzinfo=None, microsecond=0)
    if doc.signature is not None:
        return dt.datetime.combine(doc.signature.date, dt.time())
    return FALLBACK


def save_docx(document: DocxDocument, path: Path | str, when: dt.datetime) -> None:
    """Save ``document`` to ``path`` with every zip entry dated ``when``."""
    buffer = io.BytesIO()
    document.save(buffer)
    write_zip(buffer.getvalue(), path, when)


def write_zip(data: bytes, path: Path | str, when: dt.datetime) -> None:
    """Rewrite the zip archive ``data`` into ``path`` with fixed entry times and attributes."""
    stamp = max(when, ZIP_EPOCH).timetuple()[:6]
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0      # as Word writes it; the default depends on the OS
            info.external_attr = 0
            target.writestr(info, source.read(item), compresslevel=6)
