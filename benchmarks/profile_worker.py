"""cProfile of one warm worker: the unit notebook for the sample units, both documents.

    python benchmarks/profile_worker.py [--root PROJECT] [--top 15] [--label 说明]

Runs, in this process, what a ``huibao run`` worker runs (papermill with the ``huibao``
engine, the notebook in this process), once to warm up and then for the 8 sample units ×
2 documents under cProfile; prints a Markdown section with the CPU seconds per document
and the top functions by their own time (``tottime``) and by cumulative time. With
``--root`` and ``PYTHONPATH`` pointing at another checkout, it profiles that version
(``benchmarks/profile-before.md`` was made so, at the commit before the optimisation).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import tempfile
import time
from pathlib import Path

UNITS = ["示例县", "云溪区", "桐山县", "白鹭县", "堃湖区", "松岭县", "玉泉区", "梅江县"]
DOCUMENTS = ["工作总结", "汇报材料"]


def _table(stats: pstats.Stats, key: str, top: int) -> str:
    stats.sort_stats(key)
    rows = ["| 自身时间（秒） | 累计时间（秒） | 调用次数 | 函数 |", "|---:|---:|---:|---|"]
    for func in stats.fcn_list[:top]:   # type: ignore[attr-defined]
        _, nc, tt, ct, _ = stats.stats[func]   # type: ignore[attr-defined]
        file, line, name = func
        where = Path(file).name   # never a folder of this machine
        for prefix in (os.sep + "src" + os.sep, "site-packages" + os.sep):
            if prefix in file:
                where = file.split(prefix, 1)[1]
                break
        rows.append(f"| {tt:.2f} | {ct:.2f} | {nc} | `{where}:{line}({name})` |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    os.chdir(root)
    os.environ["HUIBAO_HOME"] = str(root)
    os.environ["HUIBAO_OUTPUT_DIR"] = tempfile.mkdtemp(prefix="huibao-profile-")
    import papermill as pm

    from huibao.run import engine
    engine.warm()
    out = Path(tempfile.mkdtemp(prefix="huibao-profile-nb-"))

    def one(unit: str, document: str) -> None:
        pm.execute_notebook(
            str(root / "notebooks" / "unit.ipynb"), str(out / f"{unit}-{document}.ipynb"),
            parameters={"unit": unit, "year": 2025, "campaign": "wenming_city",
                        "data_path": "data/wenming_city_sample.xlsx", "document": document,
                        "output_dir": str(out / unit / document)},
            cwd=str(root), kernel_name="python3", progress_bar=False, log_output=False,
            engine_name=engine.NAME, request_save_on_cell_execute=False)

    one(UNITS[0], DOCUMENTS[0])   # warm: imports, fonts, the workbook read once
    profile = cProfile.Profile()
    cpu = time.process_time()
    profile.enable()
    for unit in UNITS:
        for document in DOCUMENTS:
            one(unit, document)
    profile.disable()
    cpu = (time.process_time() - cpu) / (len(UNITS) * len(DOCUMENTS))
    stats = pstats.Stats(profile, stream=io.StringIO())
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "?"
    label = f"（{args.label}）" if args.label else ""
    print(f"### 一个工作进程的 cProfile{label}：提交 {commit}\n\n"
          f"8 个样例单位 × 2 种文档，在同一个已预热的进程中执行 notebook；"
          f"在 cProfile 下每个文档 CPU {cpu:.3f} 秒（cProfile 本身约使之加倍）。\n\n"
          f"按自身时间前 {args.top} 名：\n\n{_table(stats, 'tottime', args.top)}\n\n"
          f"按累计时间前 {args.top} 名：\n\n{_table(stats, 'cumulative', args.top)}\n")


if __name__ == "__main__":
    main()
