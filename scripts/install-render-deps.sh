#!/usr/bin/env bash
# Install LibreOffice (writer and calc, no GUI) and poppler-utils, used only by the optional PDF
# rendering checks and previews. Needs root and apt; otherwise explains and exits 0,
# and the tests that need them are skipped with a message.
set -u
if command -v soffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 \
   && ls /usr/lib/libreoffice/program/libsclo.so >/dev/null 2>&1; then
  echo "LibreOffice 与 poppler 已安装。"
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "需要 root 权限和 apt-get 才能安装 LibreOffice：sudo apt-get install libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils >/dev/null 2>&1 \
  || { apt-get update >/dev/null 2>&1 && \
       apt-get install -y --no-install-recommends libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils >/dev/null; }
command -v soffice >/dev/null 2>&1 && echo "已安装 LibreOffice。"
