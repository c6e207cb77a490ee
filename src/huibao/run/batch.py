"""Run many unit-documents: plan, skip what is up to date, execute in workers, record.

``run_batch`` is the library entry point behind ``huibao run``:

1. Plan (``plan.Planner``), without writing anything: read each workbook once, merge each
   unit's parameters, ``report.preflight`` each unit-year (a unit that cannot make a
   document is 数据有误; the others go on) and fingerprint its inputs.
2. Lock ``outputs/<year>/<campaign>/``, remove staging folders left by killed runs, and
   skip each unit-document whose last good build had the same fingerprint and whose .docx
   is intact (未变化).
3. Execute the rest with ``execute`` in a pool (local processes or Dask), each into
   its own staging folder, at most ``pool.slots`` at a time.
4. Promote each success (``staging.promote``: figures, notebook, .docx last) and only then
   record it in the manifest. A failure keeps its notebook as ``<文档>.failed.ipynb`` and
   never touches the good document.

Only this process writes outside the staging folders, so workers orphaned by a killed run
cannot damage outputs. SIGINT/SIGTERM stop the batch: nothing new starts, running tasks
are told to stop (their kernels are terminated), finished units are kept, the rest are
recorded as 已中断, and the next run resumes where this one stopped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import secrets
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, Future, wait
from dataclasses import dataclass, field
from pathlib import Path

from huibao import config
from huibao.documents import kinds
from huibao.errors import HuibaoError, UsageError
from huibao.facts import loader
from huibao.packs import params
from huibao.render import edits, reproducible
from huibao.run import fingerprint, pools, staging
from huibao.run.lock import BatchLock
from huibao.run.manifest import NAME as MANIFEST
from huibao.run.manifest import Manifest, RunState, Status, entry_key
from huibao.run.plan import Job, Planner, Refusal, check_unit_name, data_key
from huibao.run.plancache import PlanCache
from huibao.run.task import DEFAULT_ISOLATION, ISOLATIONS, Outcome, UnitTask

STOP_GRACE = 30.0  # seconds running tasks get to stop before their workers are killed
# The manifest is rewritten after each finished document, but not more often than every
# SAVE_EVERY seconds, nor than SAVE_SHARE of the time allows: with thousands of entries a
# save costs a tenth of a second, and saving after each of them would grow as N².
SAVE_EVERY = 1.0
SAVE_SHARE = 0.05


@dataclass(frozen=True)
class UnitResult:
    """One unit-document of a batch. ``docx`` is set when a current document is in place."""

    unit: str
    document: str
    status: Status
    seconds: float = 0.0
    docx: Path | None = None
    notebook: Path | None = None   # the executed notebook, or the failed one
    message: str | None = None
    cell: int | None = None        # failing cell's execution count, In [N]
    warnings: tuple[str, ...] = ()
    edits: dict | None = None      # 已合并修改: the manifest's ``good.edits``
    conflicts: tuple = ()          # merge.Conflict of the merge, for the summary

    @property
    def failed(self) -> bool:
        return self.status.failed

    def problem(self) -> str:
        """The failure with its cell, e.g. '第7个单元格：成文日期…'."""
        text = self.message or self.status.value
        return f"第{self.cell}个单元格：{text}" if self.cell is not None else text


@dataclass
class BatchResult:
    year: int
    campaign: str
    folder: Path                   # outputs/<year>/<campaign>/
    results: list[UnitResult]
    manifest: Path | None          # None when nothing was run or recorded
    signal: int | None = None      # the signal that stopped the batch
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[UnitResult]:
        return [r for r in self.results if r.failed]

    @property
    def exit_code(self) -> int:
        """0 all done or up to date, 1 some unit failed, 128+N stopped by signal N."""
        if self.signal is not None:
            return 128 + self.signal
        return 1 if self.failed else 0


class Reporter:
    """Progress hooks; this one does nothing. The CLI's shows a progress bar."""

    def waiting(self, holder: str) -> None:
        """Another run holds the lock and we wait for it."""

    def planned(self, total: int) -> None:
        """The batch has ``total`` unit-documents (including skipped and refused ones)."""

    def started(self, unit: str, document: str) -> None:
        """A task was handed to a worker."""

    def finished(self, result: UnitResult) -> None:
        """A unit-document is settled (any status)."""


def run_batch(year: int | None = None, campaign: str = "wenming_city", *,
              units: Sequence[str] | None = None, documents: Sequence[str] | None = None,
              jobs: int | None = None, force: bool = False, allow_missing: bool = False,
              strict: bool = False,
              scheduler: str | None = None, timeout: float = 600,
              overrides: dict | None = None, wait: bool = False, root: Path | None = None,
              reporter: Reporter | None = None,
              isolation: str = DEFAULT_ISOLATION,
              discard_edits: bool = False) -> BatchResult:
    """Make ``documents`` for ``units`` (default: every unit with data for ``year``).

    Parameters
    ----------
    year, campaign
        The batch; ``year`` defaults to ``params/<campaign>/defaults.yaml``.
    units, documents
        Which unit-documents; documents default to each unit's ``document`` parameter.
    jobs
        Tasks in flight (default: CPU count locally, the cluster's threads on Dask).
    force
        Re-run unit-documents that are up to date.
    strict
        Refuse a unit whose 文字材料 states a number that disagrees with its data.
    allow_missing
        Let absent required values through preflight (they print as 【待填】).
    scheduler
        ``tcp://host:port`` of a Dask scheduler; local worker processes when None.
    timeout
        Seconds one notebook may take before it is stopped (超时).
    overrides
        Parameters that override the parameter files (``data_path``, ``doc_date``).
    wait
        Wait for another run on the same outputs instead of refusing.
    isolation
        ``namespace``: notebooks run in the pre-warmed worker processes, each in a fresh
        namespace (fast); ``kernel``: each in its own Jupyter kernel. On Dask, a worker
        runs its tasks in a warm process of its own (``remote``). See ``task``.
    discard_edits
        Regenerate documents the analyst edited instead of merging the edits (the edited
        file is backed up first). See ``huibao.render.edits``.

    Returns
    -------
    BatchResult
        One ``UnitResult`` per unit-document, the manifest path and the exit code.
    """
    check_options(jobs, timeout, isolation)
    root = root or config.project_root()
    try:
        config.safe_name(campaign)
        for doc in documents or ():
            kinds.kind(kinds.UNIT, doc)
        for unit in units or ():
            check_unit_name(unit)
    except HuibaoError as exc:  # UnknownNameError or a name that cannot be a folder
        raise UsageError(str(exc)) from None
    if units is not None and not units:
        raise UsageError("没有指定单位：请用 --unit、--units 或 --all。")
    units = None if units is None else list(dict.fromkeys(units))  # each once, in order
    documents = list(dict.fromkeys(documents or ()))
    base = params.merged(root / "params", campaign, None, overrides)
    year = year if year is not None else base.get("year")
    if year is None:
        raise UsageError(f"缺少年度：请用 --year 指定，"
                              f"或写入 params/{campaign}/defaults.yaml。")
    planner = Planner(root, int(year), campaign, documents=documents,
                      overrides={**(overrides or {}), "year": int(year)}, base_params=base,
                      allow_missing=allow_missing, strict=strict,
                      on_read=None if scheduler else pools.prestart)
    if force and not scheduler:   # every document is made: the workers will be needed
        pools.prestart()
    plan = planner.plan(units)
    batch = _Batch(root, int(year), campaign, plan, jobs=jobs, force=force,
                   scheduler=scheduler, timeout=timeout, wait=wait,
                   reporter=reporter or Reporter(), isolation=isolation,
                   discard_edits=discard_edits, snapshots=planner.snapshots,
                   plan_cache=planner.cache)
    if units is None:  # --all: say which rows of the workbook no document counts
        batch.warnings += planner.refused_rows(plan)
    return batch.run()


def check_options(jobs: int | None, timeout: float, isolation: str) -> None:
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs 应为正整数（当前值：{jobs}）")
    if timeout <= 0:
        raise UsageError(f"--timeout 应为正数秒（当前值：{timeout:g}）")
    if isolation not in ISOLATIONS:
        raise UsageError(f"--isolation 应为 {' 或 '.join(ISOLATIONS)}"
                         f"（当前值：{isolation}）")


def run_plan(root: Path, year: int, campaign: str, plan: list[Job | Refusal], *,
             jobs: int | None = None, force: bool = False, scheduler: str | None = None,
             timeout: float = 600, wait: bool = False, reporter: Reporter | None = None,
             isolation: str = DEFAULT_ISOLATION, discard_edits: bool = False) -> BatchResult:
    """Run an already planned batch (unit documents and roll-ups alike), see ``run_batch``."""
    check_options(jobs, timeout, isolation)
    return _Batch(root, year, campaign, plan, jobs=jobs, force=force, scheduler=scheduler,
                  timeout=timeout, wait=wait, reporter=reporter or Reporter(),
                  isolation=isolation, discard_edits=discard_edits).run()


class _Batch:
    def __init__(self, root: Path, year: int, campaign: str, plan: list[Job | Refusal], *,
                 jobs, force, scheduler, timeout, wait, reporter: Reporter,
                 isolation: str = DEFAULT_ISOLATION, discard_edits: bool = False,
                 snapshots: dict[str, loader.Snapshot] | None = None,
                 plan_cache: PlanCache | None = None) -> None:
        self.root, self.year, self.campaign, self.plan = root, year, campaign, plan
        # The planner's reading of each workbook (by data key), handed to the workers.
        self.snapshots = snapshots or {}
        self.plan_cache = plan_cache   # saved under the lock, for the next run's planner
        self.discard_edits = discard_edits
        self.jobs, self.force, self.scheduler = jobs, force, scheduler
        self.timeout, self.wait, self.reporter = timeout, wait, reporter
        self.isolation = isolation
        self.outputs = config.outputs_dir(root)
        self.base = self.outputs / str(year) / campaign
        self.run_id = f"{dt.datetime.now():%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"
        self.results: dict[str, UnitResult] = {}
        self.warnings: list[str] = []
        self.signal: int | None = None
        self.hurry = False   # a second signal: stop waiting for tasks
        self._broken = False
        self._dirty = False
        self._saved_at = 0.0    # monotonic time of the last save
        self._save_cost = 0.0   # seconds the last save took
        self.manifest: Manifest

    # -- the run ----------------------------------------------------------------------

    def run(self) -> BatchResult:
        plan = self.plan
        order = [entry_key(item.unit, item.document) for item in plan]
        jobs = [item for item in plan if isinstance(item, Job)]
        self.reporter.planned(len(plan))
        if not jobs and not self.base.exists():
            # Nothing can be made and nothing was made before: leave outputs/ untouched.
            for item in plan:
                self._settle(_refused(item))
            return BatchResult(self.year, self.campaign, self.base,
                               list(self.results.values()), None, None, self.warnings)
        with BatchLock(self.base, wait=self.wait, on_wait=self.reporter.waiting), \
                self._signals():
            staging.clean(self.base)
            self.manifest, warning = Manifest.load(self.base / MANIFEST, self.year,
                                                   self.campaign)
            if self.plan_cache is not None:
                with contextlib.suppress(OSError):   # a cache: the run does not need it
                    self.plan_cache.save()
            self.warnings += [warning] if warning else []
            self._note_previous_run()
            self.manifest.run = {"id": self.run_id, "status": RunState.RUNNING,
                                 "pid": os.getpid(), "host": socket.gethostname(),
                                 "executor": None, "started": _iso(time.time()),
                                 "finished": None}
            todo = []
            for item in plan:
                if isinstance(item, Refusal):
                    self._record(_refused(item), None, error=_error(item.message))
                elif self._up_to_date(item):
                    self._unchanged(item)
                else:
                    todo.append(item)
            self.manifest.save()
            self._execute(todo)
            staging.clean(self.base)
            self.manifest.run.update(status=RunState.INTERRUPTED if self.signal
                                     else RunState.DONE, finished=_iso(time.time()))
            self.manifest.save()
        results = [self.results[k] for k in order if k in self.results]
        return BatchResult(self.year, self.campaign, self.base, results, self.manifest.path,
                           self.signal, self.warnings)

    def _note_previous_run(self) -> None:
        prev = self.manifest.run
        if prev and prev.get("status") == RunState.RUNNING:
            self.warnings.append(f"上次运行（{prev.get('started')} 开始，进程 {prev.get('pid')}）"
                                 "未正常结束；其中已完成的文档保留，其余本次继续生成。")

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        """SIGINT/SIGTERM ask the batch to stop; a second one stops waiting for tasks."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: object) -> None:
            if self.signal is None:
                self.signal = signum
            else:
                self.hurry = True

        previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in previous.items():
                signal.signal(s, h)

    def _up_to_date(self, job: Job) -> bool:
        if self.force:
            return False
        try:
            return self._unchanged_on_disk(job)
        except OSError:  # an unreadable unit folder: build again (and say why if it fails)
            return False

    def _unchanged_on_disk(self, job: Job) -> bool:
        good = (self.manifest.entry(job.key) or {}).get("good") or {}
        if good.get("inputs", {}).get("combined") != job.inputs["combined"]:
            return False
        docx = self.outputs / good["docx"]
        if not docx.is_file():
            return False
        if self.discard_edits:   # up to date only if it is the generated file itself
            return not edits.edited(docx, good.get("docx_sha256"))
        if fingerprint.file_digest(docx) == good.get("docx_sha256"):
            return True
        # Edited by the analyst: the same inputs would bring nothing new to merge.
        return edits.mergeable(docx)

    def _execute(self, todo: list[Job]) -> None:
        if not todo:
            return
        queue = deque(todo)
        pool = pools.open_pool(self.jobs, self.scheduler, len(todo))
        try:
            pool.ship(self.root, self.campaign, todo)
        except HuibaoError as exc:   # e.g. a data file a remote worker cannot be sent
            pool.close()
            for job in todo:
                self._fail_unstarted(job, str(exc))
            self._save(now=True)
            return
        self.manifest.run["executor"] = pool.label
        running: dict[Future, tuple[Job, UnitTask, float]] = {}
        deadline = None
        try:
            while queue or running:
                if self.signal is not None and deadline is None:
                    deadline = time.monotonic() + STOP_GRACE
                    for job in queue:
                        self._settle_unstarted(job)
                    queue.clear()
                    self.manifest.save()
                    for _, task, _ in running.values():
                        staging.request_stop(task)
                if running and (self.hurry or (deadline and time.monotonic() > deadline)):
                    pool.kill()
                    for job, task, start in running.values():
                        self._finish(job, task, Outcome(
                            job.unit, job.document, Status.INTERRUPTED, start, time.time(),
                            "批量运行已中断，工作进程已结束"))
                    running.clear()
                    break
                while queue and len(running) < pool.slots and not self._broken:
                    job = queue.popleft()
                    try:
                        task = self._task(job)
                    except OSError as exc:  # this unit's staging folder: this unit fails
                        self._fail_unstarted(job, f"无法创建临时目录：{_os_reason(exc)}")
                        continue
                    try:
                        future = pool.submit(task)
                    except Exception as exc:  # the pool could not start a worker
                        self._broken = True
                        stopped = self.signal is not None
                        self._finish(job, task, Outcome(
                            job.unit, job.document,
                            Status.INTERRUPTED if stopped else Status.FAILED, time.time(),
                            time.time(), "批量运行已中断，未开始" if stopped
                            else f"无法启动工作进程：{type(exc).__name__}: {exc}"))
                        continue
                    running[future] = (job, task, time.time())
                    self.reporter.started(job.unit, job.document)
                done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    job, task, start = running.pop(future)
                    self._finish(job, task, self._outcome(pool, future, task, job, start))
                if self._dirty:
                    self._save()
                if self._broken and not running:  # a worker died: carry on with a new pool
                    pool.close()
                    pool = pools.open_pool(self.jobs, self.scheduler, len(queue) or 1)
                    pool.ship(self.root, self.campaign, list(queue))
                    self._broken = False
        finally:
            pool.close()
            self._save(now=True)

    def _save(self, now: bool = False) -> None:
        """Save the manifest now, or as soon as the last save is long enough ago."""
        self._dirty = True
        wait_for = max(SAVE_EVERY, self._save_cost / SAVE_SHARE)
        if not now and time.monotonic() - self._saved_at < wait_for:
            return
        start = time.monotonic()
        self.manifest.save()
        self._saved_at = time.monotonic()
        self._save_cost = self._saved_at - start
        self._dirty = False

    def _task(self, job: Job) -> UnitTask:
        return UnitTask(
            unit=job.unit, document=job.document, notebook=str(job.notebook),
            root=str(self.root), staging=str(staging.make(self.base, job.unit, job.document)),
            parameters=job.parameters, timeout=self.timeout,
            env={"HUIBAO_HOME": str(self.root), "HUIBAO_OUTPUT_DIR": str(self.outputs),
                 # None removes it: a pooled worker may carry a stale value
                 reproducible.ENV: os.environ.get(reproducible.ENV)},
            isolation=self.isolation,
            inputs=self.snapshots.get(data_key(job.parameters.get("data_path"))))

    def _outcome(self, pool: pools.Pool, future: Future, task: UnitTask, job: Job,
                 start: float) -> Outcome:
        """The task's outcome, or a failure when the worker could not deliver one."""
        try:
            return pool.collect(future, task)
        except CancelledError:
            message = "已取消"
        except BrokenExecutor:
            self._broken = True
            message = "工作进程意外退出（可能是内存不足或被系统终止）"
        except Exception as exc:  # Dask KilledWorker, a result that failed to unpickle …
            message = f"工作进程出错：{type(exc).__name__}: {exc}"
        status = Status.INTERRUPTED if self.signal is not None else Status.FAILED
        return Outcome(job.unit, job.document, status, start, time.time(), message)

    # -- recording --------------------------------------------------------------------

    def _finish(self, job: Job, task: UnitTask, outcome: Outcome) -> None:
        unit_dir = config.unit_output_dir(self.year, self.campaign, job.unit, self.root)
        entry = self.manifest.entry(job.key) or {}
        status, message, cell = outcome.status, outcome.message, outcome.cell
        docx = notebook = None
        good = entry.get("good")
        merged: dict | None = None
        conflicts: tuple = ()
        if status is Status.OK:
            try:
                files, settled = staging.promote(task, unit_dir, self.outputs, good,
                                                 discard_edits=self.discard_edits)
            except edits.DocumentOpen as exc:
                status, message = Status.OPEN, str(exc)
            except OSError as exc:  # a read-only unit folder, a full disk …
                status, message = Status.FAILED, f"无法写入输出文件：{_os_reason(exc)}"
            except HuibaoError as exc:
                status, message = Status.FAILED, str(exc)
            else:
                good = {"run": self.run_id, "end": _iso(outcome.end), **files,
                        "inputs": job.inputs, "versions": outcome.versions}
                docx, notebook = self.outputs / files["docx"], self.outputs / files["notebook"]
                merged = files.get("edits")
                message = settled.message
                if settled.how == "merged":
                    status = Status.MERGED
                    conflicts = tuple(settled.report.conflicts)
                elif settled.how == "beside":
                    status = Status.BESIDE
        if status in (Status.FAILED, Status.TIMEOUT):
            try:
                notebook = staging.keep_failed(task, unit_dir)
            except OSError as exc:  # the unit's folder cannot take it: say so, go on
                notebook = None
                message = f"{message or status.value}（执行记录也无法保存：{_os_reason(exc)}）"
        staging.remove(task)
        error = None if not status.failed else _error(
            message, cell, notebook and notebook.relative_to(self.outputs).as_posix())
        result = UnitResult(job.unit, job.document, status, outcome.seconds, docx, notebook,
                            message, cell, job.warnings, merged, conflicts)
        self._record(result, job, error=error, good=good, start=outcome.start,
                     end=outcome.end)
        self._save()  # soon after every unit: a killed run leaves a true record

    def _unchanged(self, job: Job) -> None:
        good = self.manifest.entry(job.key)["good"]
        now = time.time()
        self._record(UnitResult(job.unit, job.document, Status.UNCHANGED, 0.0,
                                self.outputs / good["docx"], self.outputs / good["notebook"],
                                warnings=job.warnings), job, start=now, end=now)

    def _fail_unstarted(self, job: Job, message: str) -> None:
        now = time.time()
        self._record(UnitResult(job.unit, job.document, Status.FAILED, 0.0, message=message,
                                warnings=job.warnings), job, error=_error(message),
                     start=now, end=now)

    def _settle_unstarted(self, job: Job) -> None:
        now = time.time()
        self._record(UnitResult(job.unit, job.document, Status.INTERRUPTED, 0.0,
                                message="批量运行已中断，未开始", warnings=job.warnings),
                     job, error=_error("批量运行已中断，未开始"), start=now, end=now)

    def _record(self, result: UnitResult, job: Job | None, *, error: dict | None = None,
                good: dict | None = None, start: float | None = None,
                end: float | None = None) -> None:
        """Update the result's manifest entry in memory, keeping its last good build."""
        key = entry_key(result.unit, result.document)
        old = self.manifest.entry(key) or {}
        now = time.time()
        entry = {
            "kind": getattr(job, "kind", None) or old.get("kind", "unit"),
            "unit": result.unit, "document": result.document,
            "depends_on": list(getattr(job, "depends_on", None) or old.get("depends_on", [])),
            "status": result.status, "run": self.run_id,
            "start": _iso(start or now), "end": _iso(end or now),
            "seconds": round(result.seconds, 2),
            "inputs": job.inputs if job else None, "warnings": list(result.warnings),
            "error": error, "good": good if good is not None else old.get("good")}
        self.manifest.put(key, entry)
        self._settle(result)

    def _settle(self, result: UnitResult) -> None:
        self.results[entry_key(result.unit, result.document)] = result
        self.reporter.finished(result)


def _refused(item: Refusal) -> UnitResult:
    return UnitResult(item.unit, item.document, Status.BAD_DATA, message=item.message)


def _os_reason(exc: OSError) -> str:
    """An OSError in Chinese, with the file it concerns."""
    where = f"{exc.filename}：" if exc.filename else ""
    if isinstance(exc, PermissionError):
        return f"{where}没有写入权限（目录或文件只读）"
    if exc.errno == errno.ENAMETOOLONG:
        return f"{where}文件名过长"
    if exc.errno == errno.ENOSPC:
        return f"{where}磁盘空间不足"
    return f"{where}{exc.strerror or exc}"


def _error(message: str | None, cell: int | None = None, notebook: str | None = None) -> dict:
    return {"message": message, "cell": cell, "notebook": notebook}


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")

