"""The run manifest, ``outputs/<year>/<campaign>/manifest.json``: what was made, from what.

Only the batch process writes it, under the batch lock, atomically (a temporary file in the
same folder, then ``os.replace``) after every unit-document that finishes, so a killed run
leaves a valid manifest of what did finish. Paths are relative to the outputs folder
(``HUIBAO_OUTPUT_DIR`` or ``<project>/outputs``), with ``/`` separators.

Format 1::

    {
      "format": 1,
      "year": 2025,
      "campaign": "wenming_city",
      "run": {                               # the latest batch that wrote this file
        "id": "20251228T101500-3f9c", "status": "运行中" | "完成" | "已中断",
        "pid": 4242, "host": "…", "executor": "本机 2 个进程" | "tcp://…",
        "started": "2025-12-28T10:15:00+08:00", "finished": "…" | null
      },
      "entries": {
        "示例县/工作总结": {                  # key: "<unit>/<document>"
          "kind": "unit",                    # a roll-up document will use "rollup" …
          "unit": "示例县", "document": "工作总结",
          "depends_on": [],                  # … and list the entry keys it reads
          "status": "成功",                   # latest attempt: see ``Status``
          "run": "20251228T101500-3f9c",
          "start": "…", "end": "…", "seconds": 3.1,
          "inputs": {                        # sha256 of what the document is made from
            "data": "…",      # the unit's rows in every table, and those of the units
                              # below it (上级单位); a roll-up: every unit's rows
            "peers": "…",     # what it shows of other units (unit list, compared values)
            "params": "…",    # the parameters injected into the notebook
            "notebook": "…", "templates": "…", "kit": "…",
            "combined": "…"   # of all the above and the document name
          },
          "warnings": ["…"],                 # data warnings preflight reported
          "error": null | {"message": "…", "cell": 7,
                           "notebook": "2025/wenming_city/示例县/工作总结.failed.ipynb"},
          "good": null | {                   # last successful build, whose files are in place
            "run": "…", "end": "…",
            "docx": "2025/wenming_city/示例县/工作总结.docx", "docx_sha256": "…",
            # what was generated for each block identity, the base of the next merge:
            "record": "2025/wenming_city/示例县/工作总结.generated.json",
            "edits": {                       # only when the analyst's file was kept or merged
              "how": "merged" | "beside" | "replaced",   # replaced: --discard-edits
              "edited": 2, "added": 1, "deleted": 1,   # blocks kept, added, left deleted
              "conflicts": 1, "conflict_ids": ["hb_1a2b3c_p2"],
              "stale": 1, "stale_numbers": [{"indicator": "public_ads", "name": "…",
                                             "old": "356条", "new": "1234条",
                                             "opening": "…"}],
              "backup": "2025/wenming_city/示例县/工作总结.备份20251228-101500.docx",
              "review": "2025/wenming_city/示例县/工作总结.修改核对.txt"
            },
            "notebook": "2025/wenming_city/示例县/工作总结.ipynb",
            "figures": ["2025/wenming_city/示例县/figures/opinion_trend.png", …],
            "inputs": {…as above…},
            "versions": {"huibao": "0.1.0", "python": "3.11.7", "papermill": "…", …}
          }
        }
      }
    }

A unit-document is up to date when ``good.inputs.combined`` equals the combined hash of its
current inputs and ``good.docx`` still has ``good.docx_sha256``, or was edited by the analyst
(it still carries the kit's block identities): with the same inputs there is nothing new to
merge, so the edited file is left alone. A roll-up entry computes its
``inputs.data`` from the ``good.inputs.combined`` of the entries in ``depends_on``, so
changing one unit re-runs that unit and the roll-ups that list it.
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path

from huibao import config
from huibao.render import files

FORMAT = 1
NAME = config.MANIFEST_NAME   # "manifest.json"


class Status(StrEnum):
    """Outcome of one unit-document in a batch."""

    OK = "成功"
    UNCHANGED = "未变化"
    MERGED = "已合并修改"     # the analyst's edits merged into the new generation
    BESIDE = "已另存"        # the file there could not be merged: the new one is beside it
    OPEN = "文档已打开"       # the document is open in an editor: not overwritten
    FAILED = "失败"
    BAD_DATA = "数据有误"
    TIMEOUT = "超时"
    INTERRUPTED = "已中断"

    @property
    def failed(self) -> bool:
        return self not in (Status.OK, Status.UNCHANGED, Status.MERGED, Status.BESIDE)


class RunState(StrEnum):
    RUNNING = "运行中"
    DONE = "完成"
    INTERRUPTED = "已中断"


def entry_key(unit: str, document: str) -> str:
    """``<unit>/<document>``; unit names never contain ``/`` (``config.safe_name``)."""
    return f"{unit}/{document}"


class Manifest:
    """The manifest of one ``outputs/<year>/<campaign>/`` folder, kept in memory and saved."""

    def __init__(self, path: Path, year: int, campaign: str, data: dict | None = None) -> None:
        self.path = path
        self.data = data or {"format": FORMAT, "year": int(year), "campaign": campaign,
                             "run": None, "entries": {}}

    @classmethod
    def load(cls, path: Path, year: int, campaign: str) -> tuple[Manifest, str | None]:
        """The manifest at ``path`` (empty if absent) and a warning if it had to be set aside.

        Call with the batch lock held.

        A manifest that cannot be read (edited by hand, or from a newer kit) is renamed to
        ``manifest.json.unreadable`` rather than overwritten, and every unit re-runs.
        """
        for stale in files.stale_temporaries(path.parent, path.stem):  # killed mid-save
            stale.unlink(missing_ok=True)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path, year, campaign), None
        except (OSError, ValueError) as exc:
            return cls._set_aside(path, year, campaign, f"无法解析（{exc}）")
        if not isinstance(data, dict) or data.get("format") != FORMAT \
                or not isinstance(data.get("entries"), dict):
            return cls._set_aside(path, year, campaign, f"不是第{FORMAT}版格式")
        return cls(path, year, campaign, data), None

    @classmethod
    def _set_aside(cls, path: Path, year: int, campaign: str,
                   why: str) -> tuple[Manifest, str]:
        aside = path.with_name(path.name + ".unreadable")
        os.replace(path, aside)
        return cls(path, year, campaign), (f"运行记录 {path.name} {why}，已改名为 {aside.name}；"
                                           "本次将重新生成全部文档。")

    @property
    def run(self) -> dict | None:
        return self.data.get("run")

    @run.setter
    def run(self, info: dict) -> None:
        self.data["run"] = info

    def entry(self, key: str) -> dict | None:
        return self.data["entries"].get(key)

    def put(self, key: str, entry: dict) -> None:
        self.data["entries"][key] = entry

    def save(self) -> None:
        """Write atomically: a reader sees the old file or the new one, never a mix."""
        text = json.dumps(self.data, ensure_ascii=False, indent=1) + "\n"
        files.write(self.path, lambda tmp: tmp.write_text(text, encoding="utf-8"),
                    durable=True)
