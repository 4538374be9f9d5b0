"""The Windows version resource of HallDesk.exe (Properties → Details), from the version in pyproject.toml.

PyInstaller reads it as text (its ``VSVersionInfo`` notation, evaluated with its own classes); ``build.spec``
writes ``version_file_text()`` into the work folder and passes the file as ``EXE(version=...)``.  Windows shows
the product name 一窗通 HallDesk; other systems have no such resource and PyInstaller skips it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_NAME = "一窗通 HallDesk"
DESCRIPTION = "一窗通 HallDesk 政务服务大厅综合受理系统"
COMPANY = "HallDesk"
COPYRIGHT = "HallDesk"


def project_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    with pyproject.open("rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """``0.1.0`` → (0, 1, 0, 0); a pre-release suffix (``1.2.0rc1``) is dropped, as Windows takes four numbers."""
    numbers = []
    for part in version.split(".")[:4]:
        digits = re.match(r"\d+", part)
        numbers.append(int(digits.group()) if digits else 0)
    a, b, c, d = [*numbers, 0, 0, 0, 0][:4]
    return a, b, c, d


def version_file_text(version: str) -> str:
    four = version_tuple(version)
    strings = {
        "CompanyName": COMPANY,
        "FileDescription": DESCRIPTION,
        "FileVersion": version,
        "InternalName": "HallDesk",
        "LegalCopyright": COPYRIGHT,
        "OriginalFilename": "HallDesk.exe",
        "ProductName": PRODUCT_NAME,
        "ProductVersion": version,
    }
    entries = ",\n".join(f"          StringStruct({key!r}, {value!r})" for key, value in strings.items())
    # 0804 = Chinese (PRC), 04B0 = code page 1200 (UTF-16): Explorer shows the strings as Chinese.
    return f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={four!r}, prodvers={four!r}, mask=0x3f, flags=0x0, OS=0x40004,
                    fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([
      StringTable('080404B0', [
{entries}
      ])
    ]),
    VarFileInfo([VarStruct('Translation', [0x0804, 1200])])
  ]
)
"""


def write_version_file(folder: Path, version: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "halldesk_version_info.txt"
    path.write_text(version_file_text(version or project_version()), encoding="utf-8")
    return path
