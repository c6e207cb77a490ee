"""The README's "新增创建类别" walkthrough, executed as written in a copy of the project."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import docx
from batch_project import make_project

ROOT = Path(__file__).resolve().parents[1]


def _walkthrough() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 新增创建类别", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README 的“新增创建类别”一节应有一段 bash 命令"
    return block.group(1)


def test_a_pack_copied_as_the_readme_says_builds_both_documents(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    env = {k: v for k, v in os.environ.items() if k != "HUIBAO_HOME"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HUIBAO_OUTPUT_DIR"] = str(tmp_path / "outputs")
    script = "set -euo pipefail\n" + _walkthrough()
    run = subprocess.run(["bash", "-c", script], cwd=project, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert not (ROOT / "templates" / "wenming_county").exists()  # only the copy was touched
    folder = tmp_path / "outputs" / "2025" / "wenming_county" / "示例县"
    for name, title in (("工作总结", "示例县2025年创建省级文明县城工作总结"),
                        ("汇报材料", "关于示例县2025年创建省级文明县城工作情况的汇报")):
        d = docx.Document(str(folder / f"{name}.docx"))
        assert d.paragraphs[0].text.replace("\n", "") == title  # a long title breaks
        assert len(d.paragraphs) > 20
