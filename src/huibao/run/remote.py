"""Tasks on machines that share no folder with the batch: the project travels as a bundle.

A Dask worker on another machine sees neither the project nor outputs/. The batch packs
what a notebook reads — ``templates/``, ``notebooks/``, ``params/<类别>/`` and every data
file the batch's units name — into one zip (``make``), which Dask sends to each worker once
(``Client.scatter``). A task runs there (``execute``) in a copy of the project unpacked
once per bundle and worker, in a warm process the worker keeps (``_run``), writes into a
private folder, and returns its files as bytes with its outcome; the batch puts them into
the task's staging folder on this machine and settles them like any other (``land``).
The planner's reading of a workbook (``loader.Snapshot``) is not sent: it names this
machine's folders; a worker reads each workbook of the bundle once per process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import multiprocessing
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from huibao.errors import HuibaoError
from huibao.inputs.workbook import expand
from huibao.run.plan import data_key
from huibao.run.task import Outcome, UnitTask
from huibao.run.task import execute as execute_here

INDEX = ".huibao-bundle"   # in the zip, written last: an unpacked copy is complete
FOLDER = "huibao-bundles"      # under the worker's temporary folder


@dataclasses.dataclass(frozen=True)
class Bundle:
    sha256: str
    blob: bytes


def _files(root: Path, campaign: str, data_paths: list[object]) -> list[Path]:
    found: list[Path] = []
    for top in (root / "templates", root / "notebooks", root / "params" / campaign):
        if top.is_dir():
            found += sorted(p for p in top.rglob("*") if p.is_file()
                            and "__pycache__" not in p.parts
                            and ".ipynb_checkpoints" not in p.parts)
    for data_path in data_paths:
        for path in expand(data_path, root):
            if path.is_file():
                found.append(path)
    return list(dict.fromkeys(found))


def make(root: Path, campaign: str, data_paths: list[object]) -> Bundle:
    """The project as a task on another machine needs it (see the module doc).

    Data files must lie in the project folder: a task names them relative to it.
    """
    root = Path(root).resolve()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for path in _files(root, campaign, data_paths):
            try:
                name = path.resolve().relative_to(root).as_posix()
            except ValueError:
                raise HuibaoError(f"使用 Dask 集群（--scheduler）时，数据文件须在项目目录 {root} "
                                  f"之内：{path}") from None
            zf.write(path, name)
        zf.writestr(INDEX, "")
    blob = buffer.getvalue()
    return Bundle(hashlib.sha256(blob).hexdigest(), blob)


def unpack(bundle: Bundle, base: Path | None = None) -> Path:
    """The bundle's project on this machine, unpacked once (atomically) per bundle."""
    base = Path(base or tempfile.gettempdir()) / FOLDER
    target = base / bundle.sha256[:20]
    if (target / INDEX).is_file():
        return target
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".unpack-", dir=base))
    try:
        with zipfile.ZipFile(io.BytesIO(bundle.blob)) as zf:
            for name in zf.namelist():
                dest = (work / name).resolve()
                if not dest.is_relative_to(work.resolve()):   # never outside the folder
                    raise HuibaoError(f"项目包中的路径无效：{name}")
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(zf.read(name))
        try:
            os.rename(work, target)
        except OSError:   # another task of this worker unpacked it meanwhile
            if not (target / INDEX).is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def execute(task: UnitTask, bundle: Bundle) -> tuple[Outcome, dict[str, bytes]]:
    """Run ``task`` (planned on the batch's machine) in the bundle's project here; its
    outcome and the files it wrote, by path relative to its folder."""
    project = unpack(bundle)
    staging = Path(tempfile.mkdtemp(prefix="huibao-task-"))
    outputs = staging / ".outputs"   # no unit folders here: nothing to merge against
    try:
        here = dataclasses.replace(
            task, root=str(project), staging=str(staging / "out"),
            notebook=str(project / Path(task.notebook).relative_to(task.root)),
            env={**task.env, "HUIBAO_HOME": str(project), "HUIBAO_OUTPUT_DIR": str(outputs)})
        Path(here.staging).mkdir()
        outcome = _run(here)
        made = Path(here.staging)
        files = {p.relative_to(made).as_posix(): p.read_bytes()
                 for p in sorted(made.rglob("*")) if p.is_file()}
        return outcome, files
    finally:
        shutil.rmtree(staging, ignore_errors=True)


_warm = None   # this Dask worker's own warm worker process (a LocalPool of one)


def _run(task: UnitTask) -> Outcome:
    """Run ``task`` in a warm process of this machine, where it runs in that process's
    main thread (``namespace`` isolation, interruptible, with its time limit), not in a
    thread of the Dask worker, which could only start a kernel per notebook."""
    global _warm
    from concurrent.futures.process import BrokenProcessPool

    from huibao.run.pools import LocalPool

    if task.isolation != "namespace":
        return execute_here(task)
    if _warm is None:
        me = multiprocessing.current_process()
        if me._config.get("daemon"):
            # Dask's nanny starts its workers as daemons, and multiprocessing refuses a
            # daemon children so that none outlives it. Ours cannot: it watches this
            # process and exits when it is gone (``task.worker_init``).
            me._config["daemon"] = False
        _warm = LocalPool(1)
    try:
        return _warm.submit(task).result()
    except BrokenProcessPool:   # the warm process died (memory?): a new one next time
        _warm = None
        raise


def land(task: UnitTask, files: dict[str, bytes]) -> None:
    """Write a remote task's files into its staging folder on this machine."""
    folder = Path(task.staging).resolve()
    for name, data in files.items():
        dest = (folder / name).resolve()
        if not dest.is_relative_to(folder):
            raise HuibaoError(f"工作节点返回的文件路径无效：{name}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)


def data_paths(jobs: list) -> list[object]:
    """The distinct ``data_path`` parameters of ``jobs``."""
    seen: dict[str, object] = {}
    for job in jobs:
        value = job.parameters.get("data_path")
        if value is not None:
            seen.setdefault(data_key(value), value)
    return list(seen.values())

