"""Export .docx to PDF with LibreOffice, for previews and rendering checks.

The documents name the fonts offices have on Windows (仿宋_GB2312, 黑体, 方正小标宋简体…),
which are proprietary and absent on Linux. Without a Chinese font LibreOffice converts
silently with every character as a box, so the conversion runs under a generated
fontconfig that maps those names to the bundled open-licence Noto Serif/Sans SC. Geometry
is therefore close to, not identical with, what Word shows with the real fonts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from huibao.errors import HuibaoError
from huibao.fonts import bundled_font_path

# Document font name → open font used for rendering.
ALIASES = {
    "仿宋_GB2312": "Noto Serif SC", "仿宋": "Noto Serif SC", "FangSong": "Noto Serif SC",
    "楷体_GB2312": "Noto Serif SC", "楷体": "Noto Serif SC", "KaiTi": "Noto Serif SC",
    "宋体": "Noto Serif SC", "SimSun": "Noto Serif SC", "方正小标宋简体": "Noto Serif SC",
    "黑体": "Noto Sans SC", "SimHei": "Noto Sans SC",
}
INSTALL_HINT = ("未找到 LibreOffice。安装方法（需要管理员权限）："
                "sudo apt-get install libreoffice-writer-nogui poppler-utils，"
                "或运行 make render-deps。")


def soffice() -> str | None:
    """Path of the LibreOffice binary, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def fontconfig_file(folder: Path) -> Path:
    """Write a fontconfig file adding the bundled fonts and the aliases above."""
    aliases = "\n".join(
        f'  <alias binding="strong"><family>{name}</family>'
        f"<prefer><family>{target}</family></prefer></alias>"
        for name, target in ALIASES.items())
    text = f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{bundled_font_path().parent}</dir>
  <cachedir>{folder / "fc-cache"}</cachedir>
{aliases}
</fontconfig>
"""
    path = folder / "fonts.conf"
    path.write_text(text, encoding="utf-8")
    return path


def to_pdf(documents: list[Path], out_dir: Path, timeout: int = 300) -> list[Path]:
    """Convert .docx files to PDF in one LibreOffice call; return the PDF paths."""
    binary = soffice()
    if binary is None:
        raise HuibaoError(INSTALL_HINT)
    out_dir, documents = Path(out_dir), [Path(d) for d in documents]
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="huibao-lo-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig_file(work))}
        cmd = [binary, f"-env:UserInstallation=file://{work / 'profile'}", "--headless",
               "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, documents)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    pdfs = [out_dir / f"{d.stem}.pdf" for d in documents]
    missing = [p.name for p in pdfs if not p.is_file()]
    if done.returncode != 0 or missing:
        raise HuibaoError(f"LibreOffice 转换 PDF 失败：{done.stderr.strip()[-300:]}")
    return pdfs
