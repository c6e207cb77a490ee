"""A minimal writer of OLE compound files ([MS-CFB] version 3), to build the containers
Office uses for a password-protected .xlsx (and for an old .xls) without Office.

Streams under 4096 bytes go into the mini stream, larger ones into regular 512-byte
sectors, as the specification requires; the directory is a valid red-black tree (all
entries black, each a right sibling of the one before, in the specification's order).
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SECTOR, MINI, CUTOFF = 512, 64, 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _pad(data: bytes, size: int) -> bytes:
    return data + bytes(-len(data) % size)


def _entry(name: str, kind: int, start: int, size: int, *, right: int = NOSTREAM,
           child: int = NOSTREAM) -> bytes:
    raw = (name + "\0").encode("utf-16-le")
    assert len(raw) <= 64
    return struct.pack("<64sHBBIII16sIQQIQ", raw, len(raw), kind, 1, NOSTREAM, right, child,
                       bytes(16), 0, 0, 0, start, size)


def _order(name: str) -> tuple[int, str]:
    return len(name), name.upper()


def write_cfb(path: Path, streams: dict[str, bytes], storages: tuple[str, ...] = ()) -> Path:
    """Write ``streams`` (name → bytes) and empty ``storages`` at the top of a compound file."""
    names = sorted([*streams, *storages], key=_order)
    mini_stream = b""
    mini_fat: list[int] = []
    big: list[tuple[str, bytes]] = []
    start: dict[str, int] = {}
    for name in names:
        data = streams.get(name)
        if data is None:
            continue
        if len(data) < CUTOFF:
            first = len(mini_stream) // MINI
            count = max(1, -(-len(data) // MINI))
            start[name] = first if data else END
            mini_fat += [first + i + 1 for i in range(count - 1)] + [END]
            mini_stream += _pad(data, MINI) if data else bytes(MINI)
        else:
            big.append((name, data))
    mini_fat_bytes = _pad(b"".join(struct.pack("<I", n) for n in mini_fat), SECTOR) \
        if mini_fat else b""
    directory = [("Root Entry", 5)] + [(n, 2 if n in streams else 1) for n in names]
    dir_bytes_len = len(_pad(bytes(128 * len(directory)), SECTOR))
    # sectors after the FAT: directory, mini FAT, mini stream, large streams
    parts = [("dir", dir_bytes_len // SECTOR), ("minifat", len(mini_fat_bytes) // SECTOR),
             ("mini", len(_pad(mini_stream, SECTOR)) // SECTOR)]
    parts += [(name, -(-len(data) // SECTOR)) for name, data in big]
    body = sum(n for _, n in parts)
    n_fat = 1
    while n_fat * (SECTOR // 4) < n_fat + body:
        n_fat += 1
    fat = [FATSECT] * n_fat
    first: dict[str, int] = {}
    for part, count in parts:
        if count == 0:
            first[part] = END
            continue
        first[part] = len(fat)
        fat += [len(fat) + i + 1 for i in range(count - 1)] + [END]
    fat += [FREE] * (n_fat * (SECTOR // 4) - len(fat))
    for name, _ in big:
        start[name] = first[name]

    entries = []
    ids = {name: i + 1 for i, name in enumerate(names)}
    entries.append(_entry("Root Entry", 5, first["mini"] if mini_stream else END,
                          len(mini_stream), child=1 if names else NOSTREAM))
    for i, name in enumerate(names):
        right = ids[names[i + 1]] if i + 1 < len(names) else NOSTREAM
        if name in streams:
            entries.append(_entry(name, 2, start[name], len(streams[name]), right=right))
        else:
            entries.append(_entry(name, 1, 0, 0, right=right))
    dir_bytes = _pad(b"".join(entries), SECTOR)

    difat = list(range(n_fat)) + [FREE] * (109 - n_fat)
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", MAGIC, bytes(16), 0x3E, 3, 0xFFFE, 9, 6,
                         bytes(6), 0, n_fat, first["dir"], 0, CUTOFF,
                         first["minifat"], len(mini_fat_bytes) // SECTOR, END, 0)
    header += struct.pack("<109I", *difat)
    assert len(header) == SECTOR
    out = header + b"".join(struct.pack("<I", n) for n in fat) + dir_bytes + mini_fat_bytes
    out += _pad(mini_stream, SECTOR)
    for _, data in big:
        out += _pad(data, SECTOR)
    path.write_bytes(out)
    return path


_AGILE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    '<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption" '
    'xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password">'
    '<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" '
    'cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" '
    'saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/>'
    '<keyEncryptors><keyEncryptor uri="http://schemas.microsoft.com/office/2006/keyEncryptor/'
    'password"><p:encryptedKey spinCount="100000" saltSize="16" blockSize="16" keyBits="256" '
    'hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" '
    'hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/></keyEncryptor>'
    '</keyEncryptors></encryption>')


def encrypted_xlsx(path: Path, plain_size: int = 9000) -> Path:
    """What Excel writes for a workbook with a password to open: an agile EncryptionInfo
    (version 4.4, flags 0x40, the XML descriptor), an EncryptedPackage (the plain size,
    then ciphertext; stand-in bytes here) and the \\x06DataSpaces storage."""
    info = struct.pack("<HHI", 4, 4, 0x40) + _AGILE.encode("utf-8")
    noise = b"".join(hashlib.sha256(i.to_bytes(4, "little")).digest()
                     for i in range(-(-plain_size // 32) + 1))
    package = struct.pack("<Q", plain_size) + noise[:-(-plain_size // 16) * 16]
    return write_cfb(path, {"EncryptionInfo": info, "EncryptedPackage": package},
                     storages=("\x06DataSpaces",))


def old_xls(path: Path) -> Path:
    """An old binary workbook's container: a ``Workbook`` stream (BIFF8 stand-in bytes)."""
    return write_cfb(path, {"Workbook": b"\x09\x08\x10\x00" + bytes(5000),
                            "\x05SummaryInformation": bytes(200)})
