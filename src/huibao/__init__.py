"""huibao: turn the numbers units collect each year into GB/T 9704 Word reports.

The notebooks' public face (as papermill's ``__init__`` exports its entry points):

* ``unit_document(campaign, year, unit, …)`` and ``area_document(campaign, year, …)``
  return a ``Draft``: ``key_table()``, ``headline()``, ``build()`` (the outline, its
  charts drawn), ``show_figures(doc)``, ``write(doc)`` (the .docx);
* ``load_inputs(campaign, data_path)``: the checked workbook(s) and their facts;
* ``run_batch(year, campaign, …)``: many documents, as ``huibao run`` makes them.

Everything else lives in the stage packages (``inputs``, ``packs``, ``facts``, ``prose``,
``documents``, ``render``, ``run``, ``app``); see README 目录结构.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from huibao.errors import HuibaoError

if TYPE_CHECKING:
    from huibao.documents.build import Draft
    from huibao.facts.loader import Inputs

__version__ = "0.1.0"
__all__ = ["HuibaoError", "__version__", "area_document", "load_inputs", "run_batch",
           "unit_document"]


def load_inputs(campaign: str, data_path: Any, root: Any = None) -> Inputs:
    """The campaign's workbook(s) read, checked and rolled up (``huibao.facts.loader``)."""
    from huibao.facts import loader

    return loader.load_inputs(campaign, data_path, root)


def unit_document(campaign: str, year: int, unit: str, *, document: str = "工作总结",
                  data_path: Any = None, output_dir: Any = None, doc_date: Any = None,
                  form: str = "书面", addressee: str | None = None,
                  sections: list[str] | None = None, root: Any = None) -> Draft:
    """One unit's document, ready to show and write (``data_path`` None: the campaign's
    parameter files; ``output_dir`` None: ``outputs/<年度>/<类别>/<单位>/``)."""
    from huibao.documents.draft import open_draft

    return open_draft("unit", campaign, year, unit, document=document, data_path=data_path,
                      output_dir=output_dir, doc_date=doc_date, root=root,
                      options={"form": form, "addressee": addressee, "sections": sections})


def area_document(campaign: str, year: int, *, document: str = "工作总结",
                  data_path: Any = None, output_dir: Any = None, doc_date: Any = None,
                  form: str = "书面", root: Any = None) -> Draft:
    """The superior office's roll-up document for the area (``params/<c>/rollup.yaml``)."""
    from huibao.documents.draft import open_draft

    return open_draft("area", campaign, year, None, document=document, data_path=data_path,
                      output_dir=output_dir, doc_date=doc_date, root=root,
                      options={"form": form})


def run_batch(*args: Any, **kwargs: Any) -> Any:
    """``huibao.run.batch.run_batch``: make many documents, as ``huibao run`` does."""
    from huibao.run.batch import run_batch as run

    return run(*args, **kwargs)
