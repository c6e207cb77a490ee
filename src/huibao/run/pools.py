"""Where unit tasks run: local worker processes or a Dask cluster, behind one interface.

A pool offers ``submit(task)`` (a ``concurrent.futures.Future``), ``collect(future, task)``
(the task's ``Outcome``, its files in the task's staging folder), ``slots`` (how many tasks
to keep in flight), ``label`` (recorded in the manifest), ``ship(root, campaign, jobs)``
(what the tasks need that a worker may not have), ``kill()`` (the last resort when tasks
ignore a stop request) and ``close()``. ``distributed`` is imported only when a scheduler
address is given.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Protocol

from huibao.documents import kinds
from huibao.errors import HuibaoError, UnknownNameError
from huibao.run.task import Outcome, UnitTask, execute, worker_init


class Pool(Protocol):
    executor: Executor
    slots: int
    label: str

    def ship(self, root: Path, campaign: str, jobs: list) -> None: ...

    def submit(self, task: UnitTask) -> Future: ...

    def collect(self, future: Future, task: UnitTask) -> Outcome: ...

    def kill(self) -> None: ...

    def close(self) -> None: ...


# A factory takes (jobs, scheduler, tasks): the requested parallelism (None: as many as
# the machine or cluster offers), the scheduler address, and how many tasks there are.
Factory = Callable[[int | None, str | None, int], Pool]
POOLS: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    POOLS[name] = factory


def open_pool(jobs: int | None, scheduler: str | None = None, tasks: int = 1) -> Pool:
    """A Dask pool when ``scheduler`` (tcp://host:port) is given, else local processes."""
    kind = "dask" if scheduler else "local"
    try:
        factory = POOLS[kind]
    except KeyError:
        raise UnknownNameError("执行方式", kind, list(POOLS)) from None
    return factory(jobs, scheduler, tasks)


PRELOAD = ["huibao.run.task", "papermill", "huibao.run.engine", "huibao.run.nbshell",
           "IPython.display", "pandas", "matplotlib", "docx", *kinds.SCOPE_MODULES,
           "huibao.render.word"]


def _local_context() -> multiprocessing.context.BaseContext:
    """forkserver where the platform has it (spawn elsewhere), with ``PRELOAD`` imported
    once in the server, so that each worker starts with them loaded: papermill (its import
    is the slowest of the kit) and what the notebooks import."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def prestart() -> None:
    """Start the local pool's forkserver now: its imports (about two seconds of CPU) then
    run on another core while the batch is still reading workbooks and planning, instead
    of after it. The pool opened later uses this server; when no pool is opened it ends
    with the batch process. Does nothing without forkserver."""
    context = _local_context()
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver, resource_tracker

        # The forkserver starts the resource tracker first if it is not running, and that
        # unblocks SIGINT/SIGTERM after its own start (3.11): the server would then start
        # unshielded. So the tracker is started first, on its own.
        with shielded():
            resource_tracker.ensure_running()
        with shielded():
            forkserver.ensure_running()


class LocalPool:
    """Worker processes on this machine, started by forkserver (spawn where there is none).

    Never fork: the batch process has threads (progress display), and a forked copy of a
    threaded process can deadlock.
    """

    def __init__(self, jobs: int | None, scheduler: str | None = None, tasks: int = 1) -> None:
        jobs = max(1, min(jobs or os.cpu_count() or 1, tasks))
        context = _local_context()
        self.executor = _ShieldedExecutor(max_workers=jobs, mp_context=context,
                                          initializer=worker_init, initargs=(os.getpid(),))
        self.slots = jobs
        self.label = f"本机 {jobs} 个进程"

    def ship(self, root: Path, campaign: str, jobs: list) -> None:
        """Nothing to send: the workers see this machine's folders."""

    def submit(self, task: UnitTask) -> Future:
        return self.executor.submit(execute, task)

    def collect(self, future: Future, task: UnitTask) -> Outcome:
        return future.result()

    def kill(self) -> None:
        """SIGKILL the workers; their kernels exit too (ipykernel watches its parent)."""
        # ``_processes`` is the executor's own table of its workers; there is no public one.
        for proc in list((getattr(self.executor, "_processes", None) or {}).values()):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # each worker leads its own group
            proc.kill()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


# Signals a terminal sends to its foreground process group (Ctrl-C, a job's kill).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Block ``STOP_SIGNALS`` in this thread meanwhile, so that the processes it starts
    begin with them blocked (the mask is inherited through fork and exec).

    The forkserver, the resource tracker and each worker start in the terminal's process
    group: a Ctrl-C then would kill the forkserver in the middle of its imports, and the
    batch with it. The forkserver keeps them blocked (it ends when the batch closes its
    pipe); a worker unblocks them once it leads its own group (``task.worker_init``).
    Signals that arrive meanwhile wait and reach the batch when the block ends.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _ShieldedExecutor(ProcessPoolExecutor):
    """A process pool that starts its processes (in ``submit``) with ``shielded``."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        with shielded():
            return super().submit(fn, *args, **kwargs)


class DaskPool:
    """Tasks sent to an existing Dask cluster whose workers have the kit installed.

    The workers need no folder of this machine: ``ship`` sends the project as a bundle
    (``remote``) to every worker once, a task runs in that copy and returns its files,
    which ``collect`` puts into the task's staging folder here. Dask cannot interrupt a
    running task: a stopped batch stops waiting for it (after the grace period) and the
    task's result is dropped; the task's own time limit still applies on the worker.
    """

    def __init__(self, jobs: int | None, scheduler: str | None, tasks: int = 1) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise HuibaoError("使用 --scheduler 需要安装 distributed："
                              "pip install 'huibao[cluster]'") from None
        try:
            self.client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise HuibaoError(f"无法连接 Dask 调度器 {scheduler}：{exc}") from None
        self.executor = self.client.get_executor(pure=False)
        threads = sum(self.client.nthreads().values()) or 1
        self.slots = min(jobs, threads) if jobs else threads
        self.label = str(scheduler)
        self._bundle: object = None   # a Dask future of the scattered bundle

    def ship(self, root: Path, campaign: str, jobs: list) -> None:
        from huibao.run import remote

        bundle = remote.make(root, campaign, remote.data_paths(jobs))
        self._bundle = self.client.scatter(bundle, broadcast=True, hash=False)

    def submit(self, task: UnitTask) -> Future:
        from huibao.run import remote

        # Without the planner's reading: it names this machine's folders (the pack's, say),
        # and would travel with every task; a worker reads the bundle's copy once instead.
        return self.executor.submit(remote.execute, dataclasses.replace(task, inputs=None),
                                    self._bundle)

    def collect(self, future: Future, task: UnitTask) -> Outcome:
        from huibao.run import remote

        outcome, files = future.result()
        remote.land(task, files)
        return outcome

    def kill(self) -> None:
        self.executor.shutdown(wait=False)

    def close(self) -> None:
        self.executor.shutdown(wait=False)
        self.client.close()


register("local", LocalPool)
register("dask", DaskPool)
