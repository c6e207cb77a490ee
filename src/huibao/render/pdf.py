"""Export .docx to PDF with LibreOffice, for previews and rendering checks.

The documents name the fonts offices have on Windows (仿宋_GB2312, 黑体, 方正小标宋简体…),
which are proprietary and absent on Linux. Without a Chinese font LibreOffice converts
silently with every character as a box, so the conversion runs under a generated
fontconfig that maps those names to the bundled open-licence Noto Serif/Sans SC. Geometry
is therefore close to, not identical with, what Word shows with the real fonts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from huibao.errors import HuibaoError
from huibao.render import files
from huibao.render.fonts import bundled_font_path

# Document font name → open font used for rendering.
ALIASES = {
    "仿宋_GB2312": "Noto Serif SC", "仿宋": "Noto Serif SC", "FangSong": "Noto Serif SC",
    "楷体_GB2312": "Noto Serif SC", "楷体": "Noto Serif SC", "KaiTi": "Noto Serif SC",
    "宋体": "Noto Serif SC", "SimSun": "Noto Serif SC", "方正小标宋简体": "Noto Serif SC",
    "黑体": "Noto Sans SC", "SimHei": "Noto Sans SC",
}
INSTALL_HINT = (
    "未找到 LibreOffice（soffice 命令），无法导出 PDF。安装方法（需要管理员权限）："
    "在本工具目录运行 make render-deps（即 scripts/install-render-deps.sh），"
    "或 sudo apt-get install libreoffice-writer-nogui poppler-utils；"
    "Windows 或 macOS 请安装 LibreOffice，并把 soffice 所在目录加入 PATH。"
)


def install_hint() -> str:
    """The Chinese message shown when LibreOffice is absent: how to install it."""
    return INSTALL_HINT


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
    """Convert .docx files to PDF in one LibreOffice call into ``out_dir``; return the PDFs.

    Each PDF is named after its document (工作总结.docx → 工作总结.pdf); two documents
    with the same name cannot share ``out_dir`` (HuibaoError).
    """
    return export_pdfs(documents, out_dir, timeout=timeout)


def export_pdfs(documents: Sequence[Path], out_dir: Path | None = None, *,
                timeout: float | None = None) -> list[Path]:
    """Convert .docx files to PDF in one LibreOffice call; return the PDF paths in order.

    Each PDF goes next to its document (``out_dir=None``: 示例县/工作总结.docx →
    示例县/工作总结.pdf) or into ``out_dir``. Documents of the same name in different
    folders are fine next to each other; a clash in ``out_dir`` raises HuibaoError.
    Each PDF replaces the old one atomically once LibreOffice has finished; a document
    that fails keeps its old PDF. ``timeout`` defaults to 120 s plus 5 s a document.

    Raises HuibaoError when LibreOffice is absent (the message says how to install it),
    a document is missing, LibreOffice fails or times out, or some documents could not
    be converted (the message names them; the others' PDFs are in place).
    """
    documents = [Path(d) for d in documents]
    if not documents:
        return []
    binary = soffice()
    if binary is None:
        raise HuibaoError(INSTALL_HINT)
    missing = [str(d) for d in documents if not d.is_file()]
    if missing:
        raise HuibaoError(f"要导出 PDF 的文档不存在：{'、'.join(missing)}")
    targets = [(Path(out_dir) if out_dir is not None else d.parent) / f"{d.stem}.pdf"
               for d in documents]
    clashes = sorted({str(t) for t in targets if targets.count(t) > 1})
    if clashes:
        raise HuibaoError(f"多个文档会导出为同一个 PDF 文件：{'、'.join(clashes)}")
    limit = timeout if timeout is not None else 120 + 5 * len(documents)
    with tempfile.TemporaryDirectory(prefix="huibao-lo-") as tmp:
        work = Path(tmp)
        converted = _convert(binary, documents, work, limit)
        for pdf, target in zip(converted, targets, strict=True):
            if pdf is not None:
                _place(pdf, target)
    failed = [str(d) for d, pdf in zip(documents, converted, strict=True) if pdf is None]
    if failed:
        raise HuibaoError(f"以下文档未能导出 PDF（其余已导出）：{'、'.join(failed)}")
    return targets


def _convert(binary: str, documents: list[Path], work: Path,
             timeout: float) -> list[Path | None]:
    """One LibreOffice run over copies named 0001.docx …, so equal names never collide.

    Returns each document's PDF in ``work``, or None where LibreOffice made none.
    """
    inbox, outbox = work / "in", work / "out"
    inbox.mkdir()
    copies = []
    for i, document in enumerate(documents, start=1):
        copies.append(inbox / f"{i:04d}{document.suffix}")
        shutil.copyfile(document, copies[-1])
    env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig_file(work))}
    cmd = [binary, f"-env:UserInstallation=file://{work / 'profile'}", "--headless",
           "--convert-to", "pdf", "--outdir", str(outbox), *map(str, copies)]
    # ``with`` closes the pipes on every path (a killed run too): an unclosed pipe
    # surfaces later as a ResourceWarning in whatever code the garbage collector runs in.
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, start_new_session=True) as proc:
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise HuibaoError(f"LibreOffice 转换 PDF 超时（{timeout:.0f} 秒）。") from None
        except BaseException:
            _kill_group(proc)
            raise
    pdfs = [outbox / f"{c.stem}.pdf" for c in copies]
    made = [p if p.is_file() else None for p in pdfs]
    if proc.returncode != 0 or not any(made):
        raise HuibaoError(f"LibreOffice 转换 PDF 失败：{stderr.strip()[-300:]}")
    return made


def _kill_group(proc: subprocess.Popen) -> None:
    """Stop the LibreOffice we started, with the soffice.bin its wrapper script spawned."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _place(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` through a temporary file in the target's folder."""
    files.write(target, lambda tmp: shutil.copyfile(source, tmp))
