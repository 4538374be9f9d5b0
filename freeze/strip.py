"""Libraries that stripping broke, put back as they came.

``build.spec`` strips the Linux bundle's libraries (PyInstaller's ``strip``; 45 MB of symbols).  The build
machine's ``strip`` (binutils 2.40 on Debian 12) rewrites some newer libraries so that their loadable segments no
longer start on a page boundary: Qt's FFmpeg (``libavformat``, ``libavutil`` of PySide6 6.11) then fails to load
with "ELF load command address/offset not page-aligned", and the 高拍仪 has no back end.  So after the build each
library is checked the way the dynamic loader checks it, and one that fails while its original passes is copied
back unstripped.
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Iterable
from pathlib import Path

PAGE = 4096  # the smallest page size of the PCs we run on: misaligned at 4 KiB is misaligned everywhere
PT_LOAD = 1


def misaligned(path: Path) -> bool:
    """Whether a loadable segment of the 64-bit little-endian ELF file at ``path`` has an address and a file
    offset that differ by other than whole pages (glibc refuses to map it).  False for anything else."""
    with open(path, "rb") as fh:
        header = fh.read(64)
        if len(header) < 64 or header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
            return False
        phoff, = struct.unpack_from("<Q", header, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", header, 0x36)
        fh.seek(phoff)
        table = fh.read(phentsize * phnum)
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr = struct.unpack_from("<IIQQ", table, i * phentsize)
        if p_type == PT_LOAD and (p_vaddr - p_offset) % PAGE:
            return True
    return False


def restore_unstripped(contents: Path, entries: Iterable[tuple[str, str, str]]) -> list[str]:
    """Copy back the original of each collected binary that stripping left unloadable; their paths inside the
    bundle's ``contents`` folder.  ``entries`` are PyInstaller's (dest, source, kind) tuples."""
    restored = []
    for dest, source, kind in entries:
        if kind not in ("BINARY", "EXTENSION"):
            continue
        built = contents / dest
        if built.is_file() and not built.is_symlink() and misaligned(built) and not misaligned(Path(source)):
            shutil.copyfile(source, built)
            restored.append(dest)
    return sorted(restored)
