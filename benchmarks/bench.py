"""Benchmark ``huibao run`` against a naive papermill loop and the floor, on N synthetic units.

Usage (``make bench`` runs the first line)::

    .venv/bin/python benchmarks/bench.py                    # 10 and 100 units
    .venv/bin/python benchmarks/bench.py --sizes 10,100,1000
    .venv/bin/python benchmarks/bench.py --sizes 10 --repeats 1 --no-write   # a quick look

Synthetic units: copies of the sample workbook's 8 units, one workbook per copy (as each
city collects its own), with the unit names numbered (示例001县 …) and a parameter file per
unit pointing at its workbook. Every unit gets both documents (工作总结, 汇报材料).

Methods, each on the same project in a temporary folder:

* ``huibao run`` (default isolation ``namespace``) with ``--force`` into a fresh outputs
  folder, on all cores; then the same command again without ``--force`` (everything is
  unchanged and skipped: the re-run an analyst makes after looking at the results);
* ``huibao run --isolation kernel`` (small sizes only);
* ``huibao run --scheduler`` on a Dask ``LocalCluster`` of one single-threaded worker per
  core started by this script (the workers get the project as a bundle: ``run/remote``);
* naive loop: a bash ``for`` loop calling the ``papermill`` command once per unit-document,
  what a user writes without the kit (a sample of unit-documents when there are many: its
  cost per unit-document does not depend on N, so the total is extrapolated and marked ≈);
* floor: the least work that makes the same files (``floor.py``): one warm process per
  core, each workbook read once per process, every document built and written through the
  library, no notebook, no papermill.

Each is timed by wall clock; the table shows the median of the runs, seconds per
unit-document, CPU seconds per unit-document and the peak memory of the process tree (sum
of PSS, sampled every 0.1 s). With ``--profile`` the cProfile of one warm worker
(``profile_worker.py``) is added. The results and the machine go to
``benchmarks/results.md``. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CAMPAIGN = "wenming_city"
YEAR = 2025
SAMPLE = ROOT / "data" / "wenming_city_sample.xlsx"
UNITS_PER_BOOK = 8
NOTEBOOKS = {"工作总结": "unit", "汇报材料": "unit"}   # one unit notebook, document a parameter
FLOOR = Path(__file__).with_name("floor.py")
ENTITY = re.compile(r"&#(\d+);")
RESULTS = Path(__file__).with_name("results.md")


# -- the synthetic project ------------------------------------------------------------------

def sample_units() -> list[str]:
    """The sample workbook's units, in roster order (单位信息 sheet)."""
    from openpyxl import load_workbook

    ws = load_workbook(SAMPLE, read_only=True)["单位信息"]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and "单位" in r)
    col = rows[head].index("单位")
    return [r[col] for r in rows[head + 1:] if r and r[col]]


def numbered(name: str, k: int) -> str:
    """示例县 → 示例001县: unique, and still ends in 县/区 like the original."""
    return f"{name[:-1]}{k:03d}{name[-1]}"


def make_project(dest: Path, n: int, documents: list[str]) -> list[tuple[str, str]]:
    """A project with ``n`` units; returns (unit, data_path) in batch order."""
    for name in ("templates", "notebooks"):
        shutil.copytree(ROOT / name, dest / name,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    params = dest / "params" / CAMPAIGN
    params.mkdir(parents=True)
    shutil.copy(ROOT / "params" / CAMPAIGN / "defaults.yaml", params / "defaults.yaml")
    names = sample_units()
    pattern = re.compile("|".join(map(re.escape, sorted(names, key=len, reverse=True))))
    source = zipfile.ZipFile(SAMPLE)
    parts = {i.filename: source.read(i) for i in source.infolist()}
    (dest / "data").mkdir()
    units = []
    for k in range(1, math.ceil(n / UNITS_PER_BOOK) + 1):
        data = f"data/city{k:03d}.xlsx"
        with zipfile.ZipFile(dest / data, "w", zipfile.ZIP_DEFLATED) as book:
            for name, blob in parts.items():
                if name.endswith(".xml"):  # unit names: inline strings, as &#NNNNN; or text
                    text = ENTITY.sub(lambda m: chr(int(m[1])) if int(m[1]) > 127 else m[0],
                                      blob.decode("utf-8"))
                    blob = pattern.sub(lambda m, k=k: numbered(m[0], k), text).encode("utf-8")
                book.writestr(name, blob)
        for name in names:
            unit = numbered(name, k)
            (params / f"{unit}.yaml").write_text(f"data_path: {data}\n", encoding="utf-8")
            units.append((unit, data))
    return units[:n]


# -- measuring ------------------------------------------------------------------------------

def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _memory_kb(pid: int) -> int:
    """Proportional set size (shared pages split between their users); RSS as a fallback."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        key = "Pss:"
    except OSError:
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return 0
        key = "VmRSS:"
    for line in text.splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK   # utime + stime


def tree_sample(root: int, cpu: dict[int, float]) -> float:
    """Memory (MB) of ``root``'s process tree now; updates each process's CPU seconds."""
    tree, todo, total = _children(), [root], 0
    while todo:
        pid = todo.pop()
        total += _memory_kb(pid)
        cpu[pid] = max(cpu.get(pid, 0.0), _cpu_seconds(pid))
        todo += tree.get(pid, [])
    return total / 1024


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Run ``cmd``: wall-clock seconds, CPU seconds and peak memory (MB) of its process tree.

    CPU time hardly changes when other programs compete for the cores, unlike wall-clock
    time. It is the larger of two counts: the children this process waited for (which misses
    processes nobody waits for, such as multiprocessing's forkserver and its workers), and
    the sum over every process seen in the tree, sampled every 0.1 s (which misses each
    process's last tenth of a second).
    """
    peak = 0.0
    seen: dict[int, float] = {}
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.1):
            peak = max(peak, tree_sample(proc.pid, seen))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    cpu = max(_children_cpu() - cpu, sum(seen.values()))
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd[:4])} …\n{err[-2000:]}")
    return seconds, cpu, peak


@dataclass
class Row:
    n: int
    method: str
    docs: int                  # unit-documents the figure stands for
    seconds: list[float]       # wall clock of each run
    peak_mb: list[float]
    cpu: list[float] = field(default_factory=list)   # CPU seconds of each run
    measured_docs: int = 0     # unit-documents actually run (fewer: extrapolated)
    notes: list[str] = field(default_factory=list)

    @property
    def per_doc(self) -> float:
        return statistics.median(self.seconds) / (self.measured_docs or self.docs)

    @property
    def cpu_per_doc(self) -> float:
        return statistics.median(self.cpu) / (self.measured_docs or self.docs)

    @property
    def total(self) -> float:
        return self.per_doc * self.docs if self.measured_docs else statistics.median(self.seconds)

    @property
    def extrapolated(self) -> bool:
        return bool(self.measured_docs) and self.measured_docs != self.docs


class Bench:
    def __init__(self, work: Path, units: list[tuple[str, str]], documents: list[str],
                 jobs: int | None) -> None:
        self.work, self.units, self.documents, self.jobs = work, units, documents, jobs
        self.project = work / "project"
        self.env = {"HUIBAO_HOME": str(self.project), "MPLBACKEND": "Agg",
                    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        self.count = 0

    def _fresh(self, label: str) -> Path:
        self.count += 1
        return self.work / f"out-{label}-{self.count}"

    def huibao(self, n: int, isolation: str, scheduler: str | None = None,
               rerun: list | None = None) -> tuple[float, float, float]:
        """A forced run into a fresh folder; with ``rerun``, the unchanged re-run after it
        is timed too and appended there."""
        out = self._fresh(isolation if scheduler is None else "dask")
        cmd = [str(BIN / "huibao"), "run", "--units", ",".join(u for u, _ in self.units[:n]),
               "--year", str(YEAR), "--docs", ",".join(self.documents), "--allow-missing",
               "--isolation", isolation]
        if self.jobs:
            cmd += ["--jobs", str(self.jobs)]
        if scheduler:
            cmd += ["--scheduler", scheduler]
        env = {**self.env, "HUIBAO_OUTPUT_DIR": str(out)}
        result = timed([*cmd, "--force"], self.project, env)
        self._check(out, n, "成功")
        if rerun is not None:
            rerun.append(timed(cmd, self.project, env))
            self._check(out, n, "未变化")
        shutil.rmtree(out)
        return result

    def _check(self, out: Path, n: int, status: str) -> None:
        manifest = json.loads((out / str(YEAR) / CAMPAIGN / "manifest.json").read_text("utf-8"))
        ok = [e for e in manifest["entries"].values() if e["status"] == status]
        if len(ok) != n * len(self.documents):
            raise SystemExit(f"huibao run: {len(ok)} of {n * len(self.documents)} {status}")

    def _listing(self, pairs: list[tuple[str, str, str]], label: str) -> Path:
        path = self.work / f"{label}.tsv"
        path.write_text("".join("\t".join(p) + "\n" for p in pairs), encoding="utf-8")
        return path

    def pairs(self, n: int) -> list[tuple[str, str, str]]:
        return [(u, d, data) for u, data in self.units[:n] for d in self.documents]

    def naive(self, pairs: list[tuple[str, str, str]]) -> tuple[float, float, float]:
        out = self._fresh("naive")
        listing = self._listing(pairs, "naive")
        script = self.work / "naive.sh"
        script.write_text(NAIVE.format(year=YEAR, notebooks=" ".join(
            f"[{d}]={nb}" for d, nb in NOTEBOOKS.items())), encoding="utf-8")
        result = timed(["bash", str(script), str(listing), str(out)], self.project, self.env)
        shutil.rmtree(out)
        return result

    def floor(self, pairs: list[tuple[str, str, str]]) -> tuple[float, float, float]:
        out = self._fresh("floor")
        listing = self._listing(pairs, "floor")
        jobs = self.jobs or os.cpu_count() or 1
        result = timed([sys.executable, str(FLOOR), str(listing), str(out), "--jobs",
                        str(jobs)], self.project, {**self.env, "HUIBAO_OUTPUT_DIR": str(out)})
        shutil.rmtree(out)
        return result


# What a user writes without the kit: one papermill command per unit and document.
NAIVE = """#!/usr/bin/env bash
set -euo pipefail
declare -A notebook=({notebooks})
while IFS=$'\\t' read -r unit doc data; do
  mkdir -p "$2/$unit"
  papermill "notebooks/${{notebook[$doc]}}.ipynb" "$2/$unit/$doc.ipynb" \\
    -p unit "$unit" -p year {year} -p data_path "$data" -p document "$doc" \\
    -p output_dir "$2/$unit" > /dev/null 2>&1
done < "$1"
"""


# -- reporting ------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        memory = f"{int(mem) / 1024 / 1024:.1f} GB"
    except (OSError, StopIteration):
        memory = "?"
    packages = ", ".join(f"{p} {_version(p)}" for p in
                         ("papermill", "ipykernel", "nbclient", "pandas", "matplotlib",
                          "python-docx", "jupyterlab"))
    return {"cores": str(os.cpu_count()), "cpu": model, "memory": memory,
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "packages": packages}


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "未安装"


LABELS = {"namespace": "huibao run（默认，namespace）", "kernel": "huibao run --isolation kernel",
          "dask": "huibao run --scheduler（Dask LocalCluster）",
          "rerun": "huibao run 再次运行（全部未变化）",
          "naive": "naive：bash 循环调用 papermill", "floor": "floor：每核一个进程，直接调用库"}


def table(rows: list[Row]) -> str:
    out = ["| 单位数 | 方法 | 单位×文档 | 运行次数 | 用时中位数（秒） | 每个文档（秒） | "
           "每个文档 CPU（秒） | 峰值内存（MB） | 相对 huibao run |",
           "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    fast = {r.n: r.total for r in rows if r.method == "namespace"}
    for r in rows:
        total = f"≈{r.total:.0f}" if r.extrapolated else f"{r.total:.1f}"
        if r.extrapolated:
            total += f"（抽样 {r.measured_docs} 个）"
        ratio = f"{r.total / fast[r.n]:.2f}×" if r.n in fast else "—"
        out.append(f"| {r.n} | {LABELS[r.method]} | {r.docs} | {len(r.seconds)} | {total} | "
                   f"{r.per_doc:.3f} | {r.cpu_per_doc:.3f} | {max(r.peak_mb):.0f} | {ratio} |")
    return "\n".join(out)


def summary(rows: list[Row]) -> list[str]:
    lines = []
    by = {(r.n, r.method): r for r in rows}
    for n in sorted({r.n for r in rows}):
        fast = by.get((n, "namespace"))
        if fast is None:
            continue
        parts = [f"{n} 个单位 × {fast.docs // n} 种文档：huibao run {fast.total:.1f} 秒"]
        if (n, "naive") in by:
            parts.append(f"比 naive 循环快 {by[n, 'naive'].total / fast.total:.1f} 倍")
        if (n, "kernel") in by:
            parts.append(f"比 --isolation kernel 快 {by[n, 'kernel'].total / fast.total:.1f} 倍")
        if (n, "floor") in by:
            parts.append(f"是 floor 的 {fast.total / by[n, 'floor'].total:.2f} 倍")
        if (n, "dask") in by:
            parts.append(f"Dask LocalCluster {by[n, 'dask'].total:.1f} 秒")
        if (n, "rerun") in by:
            parts.append(f"全部未变化时再次运行 {by[n, 'rerun'].total:.1f} 秒")
        parts.append(f"进程树峰值内存 {max(fast.peak_mb):.0f} MB")
        lines.append("- " + "，".join(parts) + "。")
    per = [(n, by[n, "namespace"].per_doc) for n in sorted({r.n for r in rows})
           if (n, "namespace") in by]
    if len(per) > 1:
        lines.append("- 线性：huibao run 每个文档用时 " + "、".join(
            f"{p:.3f} 秒（{n} 个单位）" for n, p in per) + "。")
    return lines


def write_results(rows: list[Row], info: dict[str, str], args: argparse.Namespace,
                  documents: list[str], loads: tuple[str, str], profile: str = "") -> None:
    if profile:
        profile = ("\n## 一个工作进程的 cProfile\n\n优化前的同一测量见 "
                   "`benchmarks/profile-before.md`。\n\n" + profile.replace("### ", "### "))
    text = f"""# 性能基准 / Benchmark

由 `make bench`（`benchmarks/bench.py`）生成，请勿手工修改。方法说明见脚本开头。

- 日期：{dt.date.today().isoformat()}
- 命令：`python benchmarks/bench.py {' '.join(args.argv)}`
- 机器：{info['cores']} 核，{info['cpu']}，内存 {info['memory']}；{info['os']}；
  Python {info['python']}
- 软件包：{info['packages']}
- 文档：{'、'.join(documents)}；每个单位一个工作簿副本（8 个单位一个工作簿）
- 负载（1 分钟平均）：开始 {loads[0]}，结束 {loads[1]}

## 结果

{table(rows)}

{chr(10).join(summary(rows))}
{profile}
说明：
- huibao run 使用全部核（`--jobs` 默认为核数）；naive 循环和 floor 各只用一个核，这是用户
  自己写循环时的实际情形。
- “抽样”：naive 循环和 floor 每个文档的用时与单位数无关（每个工作簿都是 8 个单位），单位多时只运行
  前若干个文档，总时间按比例推算（≈）。huibao run 总是全部运行。
- floor：生成同样文件所需的最少工作（`benchmarks/floor.py`）：每核一个预热进程，按工作簿分配
  单位，每个进程每个工作簿只读一次，直接调用库生成 .docx、图和生成记录；没有 notebook、papermill
  和执行记录。
- Dask：本脚本启动的 LocalCluster，每核一个单线程 worker；worker 通过项目包取得项目
  （不共享文件夹）。它的 CPU 和峰值内存只含发起运行的进程树，不含 worker（worker 是本脚本的
  子进程）。
- 再次运行：同一命令不加 `--force`，所有文档都未变化而跳过。
- 峰值内存：进程树 PSS 之和（共享页按使用进程数分摊），每 0.1 秒采样一次。
- 每个文档（秒）= 用时中位数 ÷ 单位×文档；每个文档 CPU（秒）= 进程树 CPU 时间（用户+系统）的中位数
  ÷ 单位×文档。CPU 时间几乎不受同时运行的其他程序影响；用时在机器繁忙时变长（见上面的负载）。
"""
    RESULTS.write_text(text, encoding="utf-8")
    print(f"已写入 {RESULTS.relative_to(ROOT)}")


# -- main -----------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description="huibao run 与 papermill 循环、floor 的性能对比")
    parser.add_argument("--sizes", default="10,100", help="单位数，逗号分隔（如 10,100,1000）")
    parser.add_argument("--repeats", type=int, default=3, help="每种方法运行次数（取中位数）")
    parser.add_argument("--max-repeat-docs", type=int, default=400,
                        help="单位×文档超过此数时只运行一次（如 1000 个单位）")
    parser.add_argument("--naive-sample", type=int, default=20,
                        help="naive 循环最多运行的文档数，其余按比例推算")
    parser.add_argument("--floor-sample", type=int, default=400,
                        help="floor 最多运行的文档数，其余按比例推算（0：全部）")
    parser.add_argument("--dask-max", type=int, default=1000,
                        help="Dask LocalCluster 只在单位数不超过此数时测量（0：不测）")
    parser.add_argument("--profile", action="store_true",
                        help="加上一个工作进程的 cProfile（profile_worker.py）")
    parser.add_argument("--kernel-max", type=int, default=10,
                        help="--isolation kernel 只在单位数不超过此数时测量")
    parser.add_argument("--jobs", type=int, default=None, help="huibao run --jobs")
    parser.add_argument("--docs", default=None, help="文档类型；默认为 notebooks/ 中已有的全部")
    parser.add_argument("--no-write", action="store_true", help="不写 benchmarks/results.md")
    args = parser.parse_args(argv)
    args.argv = argv
    sizes = sorted(int(s) for s in args.sizes.split(","))
    present = [d for d, nb in NOTEBOOKS.items() if (ROOT / "notebooks" / f"{nb}.ipynb").is_file()]
    documents = [d.strip() for d in args.docs.split(",")] if args.docs else present
    info = machine()
    print(f"机器：{info['cores']} 核，{info['cpu']}，{info['memory']}，Python {info['python']}")
    load_start = f"{os.getloadavg()[0]:.2f}"
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="huibao-bench-") as tmp:
        work = Path(tmp)
        (work / "project").mkdir()
        units = make_project(work / "project", max(sizes), documents)
        bench = Bench(work, units, documents, args.jobs)
        for n in sizes:
            docs = n * len(documents)
            repeats = args.repeats if docs <= args.max_repeat_docs else 1
            methods = ["namespace", "naive", "floor"]
            if n <= args.kernel_max:
                methods.insert(1, "kernel")
            if n <= args.dask_max:
                methods.append("dask")
            reruns: list = []
            for method in methods:
                pairs = bench.pairs(n)
                measured = 0
                if method == "naive" and len(pairs) > args.naive_sample:
                    pairs, measured = pairs[:args.naive_sample], args.naive_sample
                if method == "floor" and args.floor_sample and len(pairs) > args.floor_sample:
                    pairs, measured = pairs[:args.floor_sample], args.floor_sample
                row = Row(n, method, docs, [], [], measured_docs=measured or (
                    docs if method in ("naive", "floor") else 0))
                runs = repeats if method != "naive" or measured == 0 else max(1, repeats // 3)
                if method == "dask":
                    runs = 1   # one run: it shows the cluster path, not a second median
                for i in range(runs):
                    if method == "namespace":
                        seconds, cpu, peak = bench.huibao(n, method, rerun=reruns)
                    elif method == "kernel":
                        seconds, cpu, peak = bench.huibao(n, method)
                    elif method == "dask":
                        seconds, cpu, peak = bench.huibao(n, "namespace",
                                                          scheduler=cluster(work))
                    else:
                        seconds, cpu, peak = getattr(bench, method)(pairs)
                    row.seconds.append(seconds)
                    row.cpu.append(cpu)
                    row.peak_mb.append(peak)
                    print(f"  {n:>5} 个单位  {LABELS[method]:<34} 第{i + 1}次 {seconds:7.1f} 秒"
                          f"  CPU {cpu:7.1f} 秒  峰值 {peak:5.0f} MB  负载 "
                          f"{os.getloadavg()[0]:.2f}", flush=True)
                rows.append(row)
                if method == "namespace" and reruns:
                    rows.append(Row(n, "rerun", docs, [r[0] for r in reruns],
                                    [r[2] for r in reruns], [r[1] for r in reruns]))
        close_cluster()
    profile = ""
    if args.profile:
        profile = subprocess.run([sys.executable, str(Path(__file__).with_name(
            "profile_worker.py"))], capture_output=True, text=True, check=True).stdout
    print()
    print(table(rows))
    print("\n".join(summary(rows)))
    if not args.no_write:
        write_results(rows, info, args, documents, (load_start, f"{os.getloadavg()[0]:.2f}"),
                      profile)


_cluster: list = []


def cluster(work: Path) -> str:
    """The address of a LocalCluster (one single-threaded worker per core), started once."""
    if not _cluster:
        from distributed import LocalCluster

        jobs = os.cpu_count() or 1
        _cluster.append(LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", dashboard_address=None,
                                     local_directory=str(work / "dask")))
    return _cluster[0].scheduler_address


def close_cluster() -> None:
    while _cluster:
        _cluster.pop().close()


if __name__ == "__main__":
    main()
