"""What the planner learnt from unchanged workbooks, kept between runs.

Reading and checking a workbook is most of what planning costs (about a second for eight
units), and an unchanged re-run needs none of it: only the fingerprints of what each
unit's documents read. ``plan-cache.json`` beside the manifest keeps, per data path, the
planner's results — the units with data for the year, each unit's warnings, data
fingerprint and peer group (or the reason it is refused), the peers' fingerprints and the
rows refused whole — under a key made of the files' state (path, size, modification time
of every data file and every file of the campaign pack), the kit's and the templates'
fingerprints, the year and the planning options. Any change to one of them misses the key
and the workbook is read again. The file is plain JSON (never code), written by the batch
under its lock, and unreadable or foreign content counts as empty.
"""

from __future__ import annotations

import json
from pathlib import Path

from huibao.render import files
from huibao.run import fingerprint

NAME = "plan-cache.json"
FORMAT = 1


class PlanCache:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, dict] = {}
        self.used: dict[str, dict] = {}
        if path is None:
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("format") == FORMAT \
                and isinstance(data.get("entries"), dict):
            self.entries = {k: v for k, v in data["entries"].items() if isinstance(v, dict)}

    @staticmethod
    def key(*parts: object) -> str:
        return fingerprint.digest([FORMAT, *parts])

    def get(self, key: str) -> dict | None:
        """The entry for ``key`` (a fresh one, to fill, when there is none)."""
        entry = self.entries.get(key)
        if not isinstance(entry, dict) or not isinstance(entry.get("units"), dict):
            entry = {"units": {}, "peers": {}, "targets": None, "refused": None}
        self.used[key] = entry
        return entry

    def save(self) -> None:
        """Keep the entries this run used (the file never grows beyond the workbooks)."""
        if self.path is None or not self.used:
            return
        text = json.dumps({"format": FORMAT, "entries": self.used}, ensure_ascii=False,
                          sort_keys=True)
        files.write(self.path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
