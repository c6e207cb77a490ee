"""``huibao rollup``: the units' 工作总结, the area's roll-up, the bound volume, PDFs.

One batch (``batch.run_plan``) makes, in parallel and incrementally, every unit's
工作总结 (the volume binds them) and the area's documents (the ``area`` kinds of the
document registry, ``notebooks/area.ipynb``). An area document is a manifest entry of
kind ``rollup`` whose ``depends_on`` lists the units' entries; its ``data`` fingerprint
covers every unit's rows, so a changed unit re-runs that unit and the area's documents,
and nothing else.

Then the volume (汇编) is bound from the roll-up's 工作总结 and each unit's, in
workbook order, unless every part is unchanged since the last binding (the parts'
sha256 are kept beside it). ``pdf`` exports the documents made or kept in this run,
and the volume, in one LibreOffice call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from huibao import config
from huibao.documents import kinds
from huibao.errors import HuibaoError, UsageError
from huibao.packs import params
from huibao.packs.area import load_area
from huibao.prose.functions import date_of
from huibao.render import files
from huibao.render.layout import load_profile
from huibao.run import batch, fingerprint, plan
from huibao.run.batch import BatchResult, Reporter

VOLUME_DIR = "汇编"
SOURCES = ".sources.json"   # beside the volume: what it was bound from


@dataclass
class RollupResult:
    batch: BatchResult
    area: str
    volume: Path | None = None
    volume_status: str = ""       # 已生成 / 未变化 / 未生成：…
    pdfs: list[Path] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        code = self.batch.exit_code
        if code == 0 and self.volume_status.startswith("未生成"):
            return 1
        return code


def run_rollup(year: int | None, campaign: str, *, documents: list[str] | None = None,
               form: str = "书面", volume: bool = True, pdf: bool = False,
               jobs: int | None = None, force: bool = False, allow_missing: bool = False,
               scheduler: str | None = None, timeout: float = 600, wait: bool = False,
               data_path: str | None = None, doc_date: str | None = None,
               root: Path | None = None, reporter: Reporter | None = None,
               isolation: str = "namespace") -> RollupResult:
    """Make the units' 工作总结, the roll-up documents, the volume and (``pdf``) PDFs."""
    root = root or config.project_root()
    try:
        config.safe_name(campaign)
    except HuibaoError as exc:
        raise UsageError(str(exc)) from None
    known = kinds.documents(kinds.AREA)
    documents = list(dict.fromkeys(documents or known))
    unknown = [d for d in documents if d not in known]
    if unknown:
        raise UsageError(f"文档类型“{unknown[0]}”无法识别，可用：{'、'.join(known)}")
    overrides = {"data_path": data_path, "doc_date": doc_date}
    base = params.merged(root / "params", campaign, None, overrides)
    year = int(year if year is not None else base.get("year") or 0)
    if not year:
        raise UsageError(f"缺少年度：请用 --year 指定，或写入 params/{campaign}/defaults.yaml。")
    planner = plan.Planner(root, year, campaign, documents=["工作总结"],
                           overrides={**overrides, "year": year}, base_params=base,
                           allow_missing=allow_missing)
    unit_jobs = planner.plan(None)
    area_jobs = planner.plan(None, scope=kinds.AREA, documents=documents,
                             extra={"form": form}, after=unit_jobs)
    result = batch.run_plan(root, year, campaign, [*area_jobs, *unit_jobs], jobs=jobs,
                            force=force, scheduler=scheduler, timeout=timeout, wait=wait,
                            reporter=reporter, isolation=isolation)
    area = area_jobs[0].unit
    out = RollupResult(result, area)
    if result.signal is not None:
        return out
    if volume:
        out.volume, out.volume_status = bind_volume(root, year, campaign, result, area,
                                                    doc_date, force=force)
    if pdf:
        from huibao.render import pdf as pdf_export
        docs = [r.docx for r in result.results if r.docx is not None]
        docs += [out.volume] if out.volume is not None else []
        out.pdfs = pdf_export.export_pdfs(docs)
    return out


def volume_path(root: Path, year: int, campaign: str, area: str, name: str) -> Path:
    return (config.outputs_dir(root) / str(year) / campaign / VOLUME_DIR
            / f"{area}{year}年{name}工作总结汇编.docx")


def bind_volume(root: Path, year: int, campaign: str, result: BatchResult, area: str,
                doc_date: str | None, *, force: bool = False) -> tuple[Path | None, str]:
    """Bind the roll-up's and every unit's 工作总结; skip when no part changed."""
    from huibao.packs.schema import load_pack
    from huibao.render import volume as binding

    summaries = {r.unit: r for r in result.results if r.document == "工作总结"}
    lead = summaries.get(area)
    units = [r for u, r in summaries.items() if u != area]
    missing = [r.unit for r in units if r.docx is None]
    if lead is None or lead.docx is None:
        return None, "未生成：汇总工作总结未能生成"
    if missing:
        return None, f"未生成：{'、'.join(missing)}的工作总结未能生成，汇编需要全部单位"
    parts = [binding.part_from_docx(lead.docx)] + [binding.part_from_docx(r.docx)
                                                  for r in units]  # type: ignore[arg-type]
    pack = load_pack(campaign, config.templates_dir(root))
    path = volume_path(root, year, campaign, area, pack.name)
    sources = {"parts": [[p.heading, fingerprint.file_digest(p.path)] for p in parts],
               "kit": fingerprint.kit_digest(), "date": doc_date}
    record = path.parent / SOURCES
    if not force and path.is_file() and record.is_file():
        try:
            if json.loads(record.read_text(encoding="utf-8")) == sources:
                return path, "未变化"
        except ValueError:
            pass
    area_params = load_area(campaign, root)
    date = date_of(doc_date if doc_date is not None else area_params.doc_date, year)
    binding.bind(parts, path, title=f"{area}{year}年{pack.name}工作总结汇编",
                 compiler=area_params.signatory, date=date,
                 profile=load_profile(config.layout_profile_path(root=root)))
    text = json.dumps(sources, ensure_ascii=False, indent=1)
    files.write(record, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path, "已生成"

