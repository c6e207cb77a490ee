"""The manifest is saved atomically and an unreadable one is set aside, not trusted."""

from __future__ import annotations

import json
from pathlib import Path

from huibao.run.manifest import Manifest, Status, entry_key


def test_save_then_load_round_trips_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    m, warning = Manifest.load(tmp_path / "manifest.json", 2025, "wenming_city")
    assert warning is None and m.entry("示例县/工作总结") is None
    m.put(entry_key("示例县", "工作总结"), {"status": Status.OK, "good": None})
    m.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]
    back, _ = Manifest.load(tmp_path / "manifest.json", 2025, "wenming_city")
    assert back.entry("示例县/工作总结") == {"status": "成功", "good": None}
    assert json.loads((tmp_path / "manifest.json").read_text("utf-8"))["format"] == 1


def test_unreadable_manifest_is_set_aside_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{ not json", encoding="utf-8")
    (tmp_path / ".manifest.json.999.tmp").write_text("half", encoding="utf-8")
    m, warning = Manifest.load(tmp_path / "manifest.json", 2025, "wenming_city")
    assert "无法解析" in warning and "manifest.json.unreadable" in warning
    assert m.data["entries"] == {}
    assert (tmp_path / "manifest.json.unreadable").read_text("utf-8") == "{ not json"
    assert not (tmp_path / ".manifest.json.999.tmp").exists()


def test_only_made_or_kept_documents_count_as_success() -> None:
    # 已合并修改: the analyst's edits merged in; 已另存: the new document beside a file that
    # could not be merged. 文档已打开 is a failure: that document is not current.
    assert [s for s in Status if not s.failed] == [Status.OK, Status.UNCHANGED,
                                                   Status.MERGED, Status.BESIDE]
