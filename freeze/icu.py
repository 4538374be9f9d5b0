"""The ICU data of the Linux frozen build, cut down to what Qt uses in HallDesk (build.spec calls ``trim_binaries``).

PySide6's Linux wheel ships ICU 73 beside Qt (``PySide6/Qt/lib/libicu{uc,i18n,data}.so.73``): QtCore links
libicuuc and libicui18n, and they link libicudata, a library holding nothing but ICU's whole data package (32 MB:
every language's locale, collation, time-zone, unit and currency names, break-iterator dictionaries, 230 legacy
converter tables) as the one exported symbol ``icudt73_dat``.  Character properties, case mapping and NFC/NFD
normalization are compiled into libicuuc itself; they are not in the package.

What QtCore calls in ICU (``nm -D --undefined-only libQt6Core.so.6``), and so what data it can ask for:

- ``ucol_*`` (QCollator; QFileDialog's file list sorts through it): ``coll/ucadata.icu`` and the collation
  tailorings of the locales below (zh's is the pinyin order, 0.7 MB).
- ``u_strToUpper``/``u_strToLower`` (QLocale::toUpper/toLower): the case tables compiled into libicuuc; the locale
  is only parsed (Turkish/Lithuanian/Greek rules are code), so no data item.
- ``ucal_*`` (QTimeZone: canonical IDs, localized zone names): ``zoneinfo64``, ``timezoneTypes``, ``metaZones``,
  ``supplementalData`` (calendar and week data ucal_open reads), ``numberingSystems`` and the zone names and main
  locale data of the locales below.
- ``ucnv_*`` (QStringConverter/QStringDecoder by name, for encodings Qt does not implement itself):
  ``cnvalias.icu`` and the Chinese legacy encodings' tables (GB18030, GBK, GB2312, Big5).  UTF-8/16/32,
  Latin-1 and ASCII are built into Qt and ICU and need no table.

QtCore calls no break iterator (``ubrk_*``), no transliterator, number/unit/currency formatter or IDNA, so their
data goes entirely.  Locales kept: root (every lookup's last fallback), zh/zh_Hans/zh_CN (the hall), en/en_US
(the C/POSIX sessions of servers and containers).  For any other locale ICU falls back, through the default
locale, to root: the Unicode default order, English or GMT±hh:mm zone names, and no error.  tests/test_freeze.py checks the answers
of each of those Qt calls against the wheel's full data.

The trimmed package is put back into a library with the same SONAME and symbol (gcc, ``.incbin``), so libicuuc
finds it exactly as before.  Tools: ``icupkg`` (Debian ``icu-devtools``; Debian 12's is ICU 72, and it lists and
rewrites ICU 73's package, checked by the tests) and ``gcc``; missing either fails the build (``ToolMissing``)
rather than silently shipping 30 MB.  Windows: the PySide6 wheel has no ICU library; Qt 6.10+ links Windows'
own (icuuc.dll → System32's icu.dll), which is not bundled, so there is nothing to trim (build.spec calls this on
Linux only).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

# The locales whose data is kept in each tree (main, coll, zone).  zh_CN and zh_Hans_CN are alias/child items.
LOCALES = ("root", "zh", "zh_Hans", "zh_Hans_CN", "zh_CN", "en", "en_US", "en_US_POSIX")

# Items kept besides the locales' own (names as `icupkg -l` lists them: tree/item, without the package prefix).
KEEP_ITEMS: dict[str, str] = {
    "pool.res": "strings shared by the main tree's locale items (they cannot load without it)",
    "res_index.res": "the main tree's list of locales",
    "icuver.res": "ICU and CLDR version",
    "icustd.res": "ICU's standard-data marker",
    # These four (0.55 MB) change none of the answers tests/support/icu_probe.py gets, but ICU reads them on paths
    # it does not reach: a locale with -u- keywords (collation=stroke), a calendar's week data, canonicalizing an
    # old locale ID, filling in a script.  Kept: a failure there would be silent and hard to find in a hall.
    "supplementalData.res": "calendar and week data (ucal_open)",
    "likelySubtags.res": "the likely script/region of a locale (zh → zh_Hans_CN)",
    "metadata.res": "deprecated-locale aliases (locale canonicalization)",
    "keyTypeData.res": "locale keywords (@collation=…, BCP 47 -u- keys)",
    "numberingSystems.res": "digits of the GMT±hh:mm zone format",
    "zoneinfo64.res": "time-zone rules and IDs (ucal_open, ucal_getCanonicalTimeZoneID)",
    "timezoneTypes.res": "time-zone ID aliases",
    "metaZones.res": "zone → metazone (\"China\") for localized names",
    "zone/pool.res": "strings shared by the zone-name items",
    "zone/res_index.res": "the zone tree's list of locales",
    "coll/ucadata.icu": "the root collation (Unicode Collation Algorithm data) every QCollator starts from",
    "coll/res_index.res": "the collation tree's list of locales",
    "cnvalias.icu": "converter names and aliases (QStringDecoder(\"GBK\"), QStringConverter.availableCodecs)",
    "gb18030.cnv": "GB 18030",
    "windows-936-2000.cnv": "GBK (CP936), an extension of the next",
    "ibm-1386_P100-2001.cnv": "the GBK table windows-936-2000 builds on",
    "ibm-1383_P110-1999.cnv": "GB 2312 (EUC-CN)",
    "windows-950-2000.cnv": "Big5 (CP950), an extension of the next",
    "ibm-1373_P100-2002.cnv": "the Big5 table windows-950-2000 builds on",
}
TREES = ("", "coll/", "zone/")

TocEntry = tuple[str, str, str]  # PyInstaller's (path in the bundle, source file, kind)
LIBRARY = re.compile(r"libicudata\.so\.(\d+)$")


class ToolMissing(RuntimeError):
    """A build tool the trimming needs is not installed."""


def kept(item: str) -> bool:
    """Whether the package item ``item`` (``tree/name.ext`` as icupkg lists it) stays in the trimmed package."""
    if item in KEEP_ITEMS:
        return True
    return any(item == f"{tree}{locale}.res" for tree in TREES for locale in LOCALES)


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(
            f"{name} is missing: the frozen build trims Qt's ICU data (freeze/icu.py) and needs it; install the "
            f"Debian/Ubuntu package {package} (apt-get install icu-devtools gcc), or ./dev, which installs both")
    return path


def _run(*command: str) -> str:
    """Run a build tool; its own message (icupkg names a missing dependency, gcc the error) if it fails."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def data_symbol(version: int) -> str:
    """The symbol libicudata exports its package as: ``icudt73_dat`` for ICU 73."""
    return f"icudt{version}_dat"


def extract(library: Path, version: int) -> bytes:
    """The common-data package ``library`` (an x86-64/AArch64 ELF libicudata) exports as ``icudt<version>_dat``.

    Reads the ELF dynamic symbol table: the symbol's address and size, and the file offset of its section.
    """
    elf = library.read_bytes()
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ValueError(f"{library}: not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    # Section headers: (type, address, file offset, size, link) of each.
    sections = []
    for index in range(shnum):
        _name, kind, _flags, address, offset, size, link = struct.unpack_from("<IIQQQQI", elf, shoff + index * shentsize)
        sections.append((kind, address, offset, size, link))
    dynsym = next(s for s in sections if s[0] == 11)  # SHT_DYNSYM
    strtab = sections[dynsym[4]]
    wanted = data_symbol(version).encode()
    for position in range(dynsym[2], dynsym[2] + dynsym[3], 24):
        name, _info, _other, shndx, value, size = struct.unpack_from("<IBBHQQ", elf, position)
        start = strtab[2] + name
        if elf[start:elf.index(b"\0", start)] == wanted:
            _kind, address, offset, _size, _link = sections[shndx]
            blob = elf[offset + value - address:offset + value - address + size]
            # An ICU data header: its size, the magic 0xda 0x27, then the format "CmnD" (common data) at 12.
            if blob[2:4] != b"\xda\x27" or blob[12:16] != b"CmnD":
                raise ValueError(f"{library}: {wanted.decode()} is not an ICU common-data package")
            return blob
    raise ValueError(f"{library}: no symbol {wanted.decode()}")


def package_name(version: int) -> str:
    """The package's name, the prefix of each item in it: ``icudt73l`` (ICU 73, little-endian)."""
    return f"icudt{version}l"


def items(package: Path) -> list[str]:
    """The items of the package file ``package`` (``tree/name.ext``), as icupkg lists them."""
    icupkg = _tool("icupkg", "icu-devtools")
    return sorted(_run(icupkg, "--auto_toc_prefix", "-l", str(package)).split())


def trim(package: Path, out: Path) -> list[str]:
    """Write to ``out`` the package ``package`` without the items ``kept`` rejects; the items left, sorted.

    icupkg checks that every item left still finds the items it depends on (a locale its pool, an alias its
    target) and fails otherwise.
    """
    icupkg = _tool("icupkg", "icu-devtools")
    dropped = [item for item in items(package) if not kept(item)]
    with tempfile.TemporaryDirectory() as scratch:
        listing = Path(scratch) / "dropped.txt"
        listing.write_text("".join(f"{item}\n" for item in dropped), encoding="ascii")
        _run(icupkg, "--auto_toc_prefix", "-r", str(listing), str(package), str(out))
    return items(out)


def build(package: Path, out: Path, version: int) -> Path:
    """Build ``out`` (``libicudata.so.<version>``): a shared library exporting ``package`` as ICU's data symbol.

    The same SONAME and symbol as the wheel's, no other dependency; the data is 16-byte aligned, as ICU requires.
    """
    gcc = _tool("gcc", "gcc")
    symbol = data_symbol(version)
    source = out.with_suffix(".S")
    source.write_text(
        '\t.section .rodata\n\t.balign 16\n'
        f'\t.globl {symbol}\n\t.type {symbol}, @object\n'
        f'{symbol}:\n\t.incbin "{package}"\n\t.size {symbol}, . - {symbol}\n'
        '\t.section .note.GNU-stack,"",@progbits\n', encoding="ascii")
    _run(gcc, "-shared", "-nostdlib", f"-Wl,-soname,libicudata.so.{version}", "-o", str(out), str(source))
    return out


def trimmed_library(library: Path, folder: Path) -> Path:
    """A trimmed copy of the wheel's ``library`` (``…/libicudata.so.<N>``), built in ``folder``."""
    match = LIBRARY.search(library.name)
    if match is None:
        raise ValueError(f"{library}: not a libicudata.so.<version>")
    version = int(match.group(1))
    folder.mkdir(parents=True, exist_ok=True)
    full = folder / "full" / f"{package_name(version)}.dat"
    full.parent.mkdir(exist_ok=True)
    full.write_bytes(extract(library, version))
    small = folder / f"{package_name(version)}.dat"
    trim(full, small)
    full.unlink()
    return build(small, folder / library.name, version)


def trim_binaries(entries: Iterable[TocEntry], folder: Path) -> list[TocEntry]:
    """``entries`` (PyInstaller's binaries TOC) with each libicudata's source replaced by a trimmed build in
    ``folder``/icu (PyInstaller's work folder: rebuilt each time, in well under a second)."""
    result: list[TocEntry] = []
    for dest, source, kind in entries:
        if LIBRARY.search(Path(dest).name):
            source = str(trimmed_library(Path(source), folder / "icu"))
        result.append((dest, source, kind))
    return result
