"""Staging folders: where a task's notebook writes, and how finished files move into place.

``outputs/<year>/<campaign>/.staging/<unit>-<document>-<random>/`` belongs to one task.
Promotion moves the figures, then the executed notebook, then the .docx into the unit's
folder with ``os.replace`` (atomic within one filesystem). The .docx goes last, so until
it lands the previous document stays whole, and a run killed in between leaves a .docx
whose hash no longer matches the manifest, which the next run rebuilds. A task's folder is
removed when it is settled; the next run removes any left by a run that was killed.

The .docx does not simply replace the one there: ``edits.settle`` keeps the analyst's
edits (backup, three-way merge, or the new document beside a foreign one) and refuses to
touch a document open in an editor (``edits.DocumentOpen``, raised before anything moves).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from huibao.render import edits

if TYPE_CHECKING:
    from huibao.run.task import UnitTask

FOLDER = ".staging"
STOP_FILE = ".stop"   # in a task's folder: the batch asks the task to stop


UNIT_BYTES = 60   # of the unit's name in a staging folder's name: any name fits the limit


def make(base: Path, unit: str, document: str) -> Path:
    """A new private folder for one task, named after its unit (shortened: a unit name
    that fits the file-name limit on its own must fit here too) and document."""
    short = unit.encode("utf-8")[:UNIT_BYTES].decode("utf-8", "ignore")
    folder = base / FOLDER / f"{short}-{document}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    return folder


def clean(base: Path) -> None:
    """Remove every staging folder (call with the batch lock held)."""
    shutil.rmtree(base / FOLDER, ignore_errors=True)


def request_stop(task: UnitTask) -> None:
    """Ask the task to stop: it polls for this file, on whichever machine it runs."""
    with contextlib.suppress(OSError):
        (Path(task.staging) / STOP_FILE).touch()


def remove(task: UnitTask) -> None:
    shutil.rmtree(task.staging, ignore_errors=True)


def promote(task: UnitTask, unit_dir: Path, outputs: Path, previous: dict | None, *,
            discard_edits: bool = False) -> tuple[dict, edits.Settled]:
    """Move a successful task's files into ``unit_dir``; their paths relative to ``outputs``.

    Figures the previous build of this document listed and this one did not make are
    removed, so the folder shows the figures of the documents that are there.
    ``discard_edits``: the new document replaces an edited one (after a backup).
    """
    def rel(path: Path) -> str:
        return path.relative_to(outputs).as_posix()

    docx = unit_dir / task.docx.name
    owner = edits.owner_file(docx)
    if owner is not None:
        raise edits.DocumentOpen(str(docx), owner.name)
    unit_dir.mkdir(parents=True, exist_ok=True)
    figures = []
    made = Path(task.staging) / "figures"
    if made.is_dir():
        (unit_dir / "figures").mkdir(exist_ok=True)
        for f in sorted(p for p in made.iterdir() if p.is_file()):
            os.replace(f, unit_dir / "figures" / f.name)
            figures.append(rel(unit_dir / "figures" / f.name))
    for old in set((previous or {}).get("figures", [])) - set(figures):
        # The manifest is data: a path that leaves the unit's figures folder is ignored.
        stale = (outputs / str(old)).resolve()
        if stale.parent == (unit_dir / "figures").resolve():
            stale.unlink(missing_ok=True)
    notebook = unit_dir / task.executed.name
    os.replace(task.executed, notebook)
    settled = edits.settle(task.docx, docx, previous_sha=(previous or {}).get("docx_sha256"),
                           discard=discard_edits)
    failed_notebook(task, unit_dir).unlink(missing_ok=True)
    found = {"docx": rel(settled.docx), "docx_sha256": settled.sha256,
             "record": rel(settled.record), "notebook": rel(notebook), "figures": figures}
    summary = settled.summary()
    if summary:
        found["edits"] = {**summary, **{k: rel(v) for k, v in (
            ("backup", settled.backup), ("review", settled.review)) if v is not None}}
    return found, settled


def failed_notebook(task: UnitTask, unit_dir: Path) -> Path:
    return unit_dir / f"{task.document}.failed.ipynb"


def keep_failed(task: UnitTask, unit_dir: Path) -> Path | None:
    """Keep a failed task's executed notebook (papermill marked the failing cell)."""
    if not task.executed.is_file():
        return None
    unit_dir.mkdir(parents=True, exist_ok=True)
    kept = failed_notebook(task, unit_dir)
    os.replace(task.executed, kept)
    return kept

