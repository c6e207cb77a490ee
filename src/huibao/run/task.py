"""Execute one unit-document's notebook through papermill, in whatever process receives it.

``execute(task)`` is the batch's task function and the only place that decides how a
notebook runs. It takes and returns plain picklable data, so a local process pool and a
Dask cluster call it alike. It writes only into the task's private staging folder; the
batch process moves finished files into place. It never raises for a failing unit: the
outcome says what went wrong and in which cell, and the partly executed notebook stays in
the staging folder with papermill's error banner.

Two isolations (``ISOLATIONS``):

* ``namespace`` (default): the notebook runs inside this worker process, in a fresh
  namespace, through the papermill engine ``huibao`` (``huibao.run.engine``). The worker
  imported pandas, matplotlib, python-docx, IPython and papermill before its first task, so
  a notebook costs its own work only. Used in a process's main thread; elsewhere (a Dask
  worker thread) the task falls back to ``kernel``.
* ``kernel``: each notebook gets its own Jupyter kernel through papermill's nbclient engine,
  as a user would run it; nothing is shared between notebooks.

Each task watches itself: past its time limit, or when the batch asks it to stop (a
``.stop`` file in its staging folder, or SIGTERM/SIGINT to a local worker), it terminates
its kernel (which papermill then reports as dead), or interrupts its own cell with
``TaskStopped`` when it runs in the worker, and returns 超时 or 已中断. Kernels run in
their own process group, so killing a group never touches the worker.

papermill is imported lazily: it is the slowest import of the kit (local workers have it
preloaded, see ``executors.LocalPool``).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import math
import os
import signal
import subprocess
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from huibao import errors
from huibao.facts import loader
from huibao.run.fingerprint import versions
from huibao.run.manifest import Status
from huibao.run.staging import STOP_FILE

# How a notebook is isolated from the others run by the same worker (see the module doc).
ISOLATIONS = ("namespace", "kernel")
DEFAULT_ISOLATION = "namespace"

KILL_GRACE = 2.0   # seconds between SIGTERM and SIGKILL for a kernel that must stop
_POLL = 0.25


@dataclass(frozen=True)
class UnitTask:
    """Everything a worker needs for one unit-document; absolute paths, plain values."""

    unit: str
    document: str
    notebook: str          # the source notebook
    root: str              # project root: the kernel's working folder
    staging: str           # private folder the notebook writes into (its output_dir)
    parameters: dict       # injected into the notebook (output_dir is added here)
    timeout: float         # seconds for the whole notebook
    env: dict = field(default_factory=dict)  # environment for the notebook; None: unset
    isolation: str = DEFAULT_ISOLATION       # one of ISOLATIONS
    inputs: loader.Snapshot | None = None    # the planner's reading of the workbook

    @property
    def executed(self) -> Path:
        return Path(self.staging) / f"{self.document}.ipynb"

    @property
    def docx(self) -> Path:
        return Path(self.staging) / f"{self.document}.docx"


@dataclass(frozen=True)
class Outcome:
    """What became of a task. ``cell`` is the failing cell's execution count (In [N])."""

    unit: str
    document: str
    status: Status
    start: float           # epoch seconds, on the worker's clock
    end: float
    message: str | None = None
    cell: int | None = None
    versions: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.end - self.start


# Set by SIGTERM/SIGINT in a local worker: the batch is stopping, start nothing new.
_STOPPING = threading.Event()


def worker_init(batch_pid: int) -> None:
    """Initializer of local worker processes.

    A worker gets its own process group, so Ctrl-C in the terminal reaches the batch
    process alone, which then stops the workers in order. It starts with SIGINT and
    SIGTERM blocked (``pools.shielded``: until now it was in the terminal's group) and
    unblocks them here; one that came meanwhile means the batch is stopping. It stops by
    itself when the batch process is gone (killed with ``kill -9``): a pooled worker would
    otherwise wait for work forever. Library log lines are dropped: the outcome reports what
    went wrong.
    """
    os.setpgid(0, 0)
    # nbclient logs "Kernel died …" (through papermill's logger) when we stop a kernel; the
    # outcome already says so. A handler configured by the caller still receives them.
    for name in ("papermill", "traitlets"):
        logging.getLogger(name).addHandler(logging.NullHandler())
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: _STOPPING.set())
    if hasattr(signal, "pthread_sigmask"):  # started with them blocked (pools.shielded)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGTERM, signal.SIGINT))
    from huibao.run import engine
    engine.warm()
    # What is loaded now lives as long as the worker: keep the collector from walking it
    # again on every full collection while notebooks run (about 4 % of a document's CPU).
    gc.collect()   # the warm-up's own garbage goes first
    gc.freeze()
    threading.Thread(target=_exit_after, args=(batch_pid,), name="huibao-orphan",
                     daemon=True).start()


def _exit_after(batch_pid: int) -> None:
    """Wait for the batch process to go away; then stop the running task and exit."""
    while _alive(batch_pid):
        time.sleep(1.0)
    _STOPPING.set()                 # the task's watch terminates its kernel …
    time.sleep(KILL_GRACE + 2 * _POLL + 0.5)   # … and SIGKILLs it after the grace
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed process stays a zombie until its parent reaps it
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def execute(task: UnitTask) -> Outcome:
    """Run ``task``'s notebook into its staging folder; report, never raise, its failure."""
    start = time.time()
    if _STOPPING.is_set():
        return Outcome(task.unit, task.document, Status.INTERRUPTED, start, start,
                       "批量运行已中断，未开始")
    in_process = _runs_here(task)
    if in_process and task.inputs is not None:
        loader.prime(task.inputs)   # the notebook's load_inputs then reads nothing again
    watch = _Watch(task, in_process)
    try:
        if in_process:
            status, message, cell = _in_process(task, watch)
        else:
            status, message, cell = _papermill(task, watch)
    finally:
        watch.close()
    if status is not Status.OK and watch.reason is not None:
        status = watch.reason
    if status is Status.TIMEOUT:
        message, cell = f"超过时限 {task.timeout:g} 秒，已停止", None
    elif status is Status.INTERRUPTED:
        message, cell = "批量运行已中断，已停止", None
    return Outcome(task.unit, task.document, status, start, time.time(), message, cell,
                   _versions())


def _runs_here(task: UnitTask) -> bool:
    """Whether ``task`` runs in this process: namespace isolation, in the main thread (the
    stop signal and the working folder are process-wide), on a system with SIGUSR1, and not
    inside another IPython shell (a Jupyter kernel calling ``execute`` itself)."""
    if task.isolation != "namespace" or _INTERRUPT is None:
        return False
    if threading.current_thread() is not threading.main_thread():
        return False
    from huibao.run import nbshell
    return nbshell.usable()


_versions = functools.cache(versions)  # package metadata does not change under a worker


class TaskStopped(BaseException):
    """Raised in a notebook running in this process when its task must stop.

    A BaseException, like KeyboardInterrupt, so that ``except Exception`` in a cell does not
    swallow it.
    """


_armed = threading.Event()   # a task is running in this process's main thread


def _raise_stopped(signum: int, frame: object) -> None:
    if _armed.is_set():
        raise TaskStopped("stopped")


def _in_process(task: UnitTask, watch: _Watch) -> tuple[Status, str | None, int | None]:
    """Run the notebook with the ``huibao`` engine in this process, under ``task.env``."""
    from huibao.run import engine
    saved = {k: os.environ.get(k) for k in task.env}
    _set_environ(task.env)
    # Installed for good: the watch may signal just after the task ends, when the default
    # action (terminate) must not apply. Unarmed, the handler does nothing.
    if signal.getsignal(_INTERRUPT) is not _raise_stopped:
        signal.signal(_INTERRUPT, _raise_stopped)
    _armed.set()
    try:
        return _papermill(task, watch, engine_name=engine.NAME,
                          request_save_on_cell_execute=False)
    except TaskStopped:  # raised outside a cell: the outcome says why (watch.reason)
        return Status.FAILED, None, None
    finally:
        _armed.clear()
        _set_environ(saved)


def _set_environ(values: dict[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _papermill(task: UnitTask, watch: _Watch, **how: object
               ) -> tuple[Status, str | None, int | None]:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    if not how:  # a fresh kernel per notebook
        how = {"kernel_manager_class": _kernel_manager(watch, task.env)}
    try:
        pm.execute_notebook(
            _literal(task.notebook), _literal(str(task.executed)),
            parameters={**task.parameters, "output_dir": task.staging}, cwd=task.root,
            kernel_name="python3", progress_bar=False, log_output=False,
            execution_timeout=math.ceil(task.timeout), report_mode=False, **how,
        )
    except PapermillExecutionError as exc:
        return Status.FAILED, _problem(exc.ename, exc.evalue), exc.exec_count
    except TimeoutError:  # nbclient's per-cell limit, a backstop to the watch
        return Status.TIMEOUT, None, None
    except Exception as exc:  # a dead kernel, an unreadable notebook: this unit fails
        return Status.FAILED, _problem(type(exc).__name__, str(exc)), None
    if not task.docx.is_file():
        return Status.FAILED, f"notebook 执行完毕，但未生成 {task.docx.name}", None
    try:
        with zipfile.ZipFile(task.docx) as zf:
            bad = zf.testzip()
    except zipfile.BadZipFile:
        bad = task.docx.name
    if bad is not None:
        return Status.FAILED, f"生成的 {task.docx.name} 不是完整的 Word 文件（{bad}）", None
    return Status.OK, None, None


def _literal(path: str) -> str:
    """``path`` as papermill's ``str.format`` of its paths leaves it: a unit's name (or a
    project folder) with ``{…}`` in it is a name, not a parameter reference."""
    return path.replace("{", "{{").replace("}", "}}")


def _problem(ename: str, evalue: str) -> str:
    """The kit's own errors speak for themselves; others keep their type name."""
    known = getattr(errors, ename, None)
    if isinstance(known, type) and issubclass(known, errors.HuibaoError):
        return evalue
    return f"{ename}: {evalue}" if evalue else f"{ename}（详见执行记录中该单元格的输出）"


# Sent to this process to interrupt a notebook it runs; None (no in-process runs) on Windows.
_INTERRUPT: signal.Signals | None = getattr(signal, "SIGUSR1", None)
STUCK_EXIT = 10.0             # seconds a stopped in-process notebook gets before the worker exits


class _Watch:
    """One task's kernels, its deadline, and the reason it was stopped, if it was.

    ``in_process``: the notebook runs in this process's main thread; stopping it raises
    ``TaskStopped`` there. A notebook stuck in native code that ignores it makes the worker
    exit after ``STUCK_EXIT`` seconds (the batch then reports the worker's exit).
    """

    def __init__(self, task: UnitTask, in_process: bool = False) -> None:
        self.reason: Status | None = None
        self._in_process = in_process
        self._kernels: list[int] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._deadline = time.monotonic() + task.timeout
        self._stop_file = Path(task.staging) / STOP_FILE
        self._thread = threading.Thread(target=self._run, name="huibao-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(_POLL):
            if time.monotonic() > self._deadline:
                self.stop(Status.TIMEOUT)
            elif _STOPPING.is_set() or self._stop_file.exists():
                self.stop(Status.INTERRUPTED)

    def kernel_started(self, pgid: int) -> None:
        with self._lock:
            self._kernels.append(pgid)
            stopped = self.reason is not None
        if stopped:
            _terminate(pgid)

    def stop(self, reason: Status) -> None:
        with self._lock:
            if self.reason is not None:
                return
            self.reason = reason
            kernels = list(self._kernels)
        for pgid in kernels:
            _terminate(pgid)
        if self._in_process and _INTERRUPT is not None:
            signal.pthread_kill(threading.main_thread().ident, _INTERRUPT)
            timer = threading.Timer(STUCK_EXIT, os._exit, (1,))
            timer.daemon = True
            self._stuck = timer
            timer.start()

    def close(self) -> None:
        self._done.set()
        self._thread.join()
        stuck = getattr(self, "_stuck", None)
        if stuck is not None:
            stuck.cancel()


def _terminate(pgid: int) -> None:
    """SIGTERM the kernel's process group, SIGKILL it if it is still there after a grace."""
    def signal_group(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)

    signal_group(signal.SIGTERM)
    timer = threading.Timer(KILL_GRACE, signal_group, (signal.SIGKILL,))
    timer.daemon = True
    timer.start()


def _kernel_manager(watch: _Watch, env: dict) -> type:
    """A kernel manager that reports its kernel to ``watch`` and discards kernel stderr.

    Cell output still arrives through the messaging channels; only the kernel process's own
    log lines (ipykernel's TCP warning) are dropped. ``env`` is set explicitly because a
    pooled worker's environment is the one it started with, not the batch's current one.
    """
    from jupyter_client.manager import AsyncKernelManager

    class TaskKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):  # type: ignore[override]
            kw.setdefault("stderr", subprocess.DEVNULL)
            merged = {**os.environ, **kw.get("env", {}), **env}
            kw["env"] = {k: v for k, v in merged.items() if v is not None}
            await super().start_kernel(**kw)
            provisioner = self.provisioner
            pgid = getattr(provisioner, "pgid", None) or getattr(provisioner, "pid", None)
            if pgid:
                watch.kernel_started(pgid)

    return TaskKernelManager
