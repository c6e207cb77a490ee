"""Open a ``Draft`` for a notebook: resolve the kind, the data, the subject and the folder.

This is the plumbing a notebook must not carry: the project root, the campaign's
parameter files for a missing ``data_path``, the default output folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huibao import config
from huibao.documents import kinds
from huibao.documents.build import Draft
from huibao.errors import HuibaoError
from huibao.facts.loader import load_inputs
from huibao.packs import params


def open_draft(scope: str, campaign: str, year: int, unit: str | None, *, document: str,
               data_path: Any, output_dir: Any, doc_date: Any, root: Any,
               options: dict) -> Draft:
    root = Path(root) if root is not None else config.project_root()
    kind = kinds.kind(scope, document)
    if data_path is None:
        data_path = params.merged(root / "params", campaign, unit).get("data_path")
        if not data_path:
            raise HuibaoError(f"缺少数据文件：请写入 params/{campaign}/defaults.yaml 的 "
                              "data_path。")
    inputs = load_inputs(campaign, data_path, root)
    subject = kinds.scope(scope).prepare(inputs, unit or "", year, root, **options)
    home = config.unit_output_dir(year, campaign, subject.name, root)
    out = Path(output_dir) if output_dir else home
    return Draft(kind, subject, year, out, doc_date=doc_date, root=root, home=home)
