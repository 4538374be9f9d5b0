"""Qt's ICU-backed answers, printed as JSON: ``python tests/support/icu_probe.py`` (offscreen).

tests/test_freeze.py and tests/test_frozen.py run it twice, once with the wheel's libicudata and once with
``LD_LIBRARY_PATH`` naming a folder with the trimmed one (freeze/icu.py), and compare.  It exercises each ICU
function QtCore calls: QCollator (ucol_*) in the kept locales, in a dropped one and in QFileSystemModel's sort
(QFileDialog's list), QLocale case mapping (u_strTo*), QTimeZone names and IDs (ucal_*), and converters by name
(ucnv_*: Qt opens them; PySide6 binds no QStringDecoder.decode, so the decoding itself goes through ICU's C API
in the libicuuc Qt loaded).  ``libicudata`` says which library the process mapped.
"""

from __future__ import annotations

import ctypes
import json
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCollator,
    QDateTime,
    QEventLoop,
    QLocale,
    QStringConverter,
    QStringDecoder,
    Qt,
    QTimer,
    QTimeZone,
)
from PySide6.QtWidgets import QApplication, QFileSystemModel

WORDS = ["王五", "李四", "张三", "赵六", "阿明", "欧阳", "Zoe", "adam", "Émile", "ärger", "zebra", "文件10", "文件2"]
FILES = ["文件10.pdf", "文件2.pdf", "张三.txt", "李四.txt", "b.txt", "A.txt"]
ZONES = [b"Asia/Shanghai", b"PRC", b"Asia/Urumqi", b"America/New_York", b"Europe/Berlin"]
COLLATION_LOCALES = ["zh_CN", "zh_TW", "en_US", "C", "sv_SE", "de_DE"]
ZONE_LOCALES = ["zh_CN", "en_US", "de_DE"]
ENCODED = {"GBK": "中文字段".encode("gbk"), "GB18030": "中文𠀀".encode("gb18030"),
           "GB2312": "中文".encode("gb2312"), "Big5": "中文".encode("big5")}


def _sorted(collator: QCollator, words: list[str]) -> list[str]:
    # A stable insertion sort by compare(): QCollator has no key function in PySide6 that sort() could use.
    result: list[str] = []
    for word in words:
        at = len(result)
        while at > 0 and collator.compare(word, result[at - 1]) < 0:
            at -= 1
        result.insert(at, word)
    return result


def _file_dialog_order(app: QApplication) -> list[str]:
    """The order QFileDialog's list shows: QFileSystemModel sorted by name (a numeric, case-blind QCollator of
    the default locale, zh_CN as in a hall's session)."""
    QLocale.setDefault(QLocale("zh_CN"))
    with tempfile.TemporaryDirectory() as folder:
        for name in FILES:
            (Path(folder) / name).write_text("x", encoding="utf-8")
        model = QFileSystemModel()
        loop = QEventLoop()
        model.directoryLoaded.connect(lambda _path: loop.quit())
        root = model.setRootPath(folder)
        QTimer.singleShot(10000, loop.quit)
        loop.exec()
        deadline = QDateTime.currentMSecsSinceEpoch() + 10000  # the rows arrive in batches after the signal
        while model.rowCount(root) < len(FILES) and QDateTime.currentMSecsSinceEpoch() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        model.sort(0, Qt.SortOrder.AscendingOrder)
        app.processEvents()
        return [model.index(row, 0, root).data() for row in range(model.rowCount(root))]


def _icu_decode(name: str, data: bytes) -> str | None:
    icu = ctypes.CDLL("libicuuc.so.73")  # the one Qt loaded
    error = ctypes.c_int(0)
    icu.ucnv_open_73.restype = ctypes.c_void_p
    converter = icu.ucnv_open_73(name.encode(), ctypes.byref(error))
    if error.value > 0 or not converter:
        return None
    buffer = (ctypes.c_uint16 * 64)()
    length = icu.ucnv_toUChars_73(ctypes.c_void_p(converter), buffer, 64, data, len(data), ctypes.byref(error))
    icu.ucnv_close_73(ctypes.c_void_p(converter))
    return None if error.value > 0 else bytes(buffer)[:2 * length].decode("utf-16-le")


def probe() -> dict[str, Any]:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    maps = Path("/proc/self/maps").read_text(encoding="utf-8").split()
    when = QDateTime.fromString("2026-12-08T10:00:00Z", Qt.DateFormat.ISODate)
    collation: dict[str, list[str]] = {}
    for name in COLLATION_LOCALES:
        collation[name] = _sorted(QCollator(QLocale(name)), WORDS)
    numeric = QCollator(QLocale("zh_CN"))
    numeric.setNumericMode(True)
    numeric.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    zones: dict[str, Any] = {}
    for zone_id in ZONES:
        zone = QTimeZone(zone_id)
        zones[zone_id.decode()] = {
            "valid": zone.isValid(), "id": bytes(zone.id().data()).decode(), "abbreviation": zone.abbreviation(when),
            **{f"{name} {kind.name} {length.name}": zone.displayName(kind, length, QLocale(name))
               for name in ZONE_LOCALES
               for kind in (QTimeZone.TimeType.StandardTime, QTimeZone.TimeType.DaylightTime)
               for length in (QTimeZone.NameType.LongName, QTimeZone.NameType.ShortName)},
        }
    return {
        "libicudata": sorted({p for p in maps if "libicudata" in p}),
        "collation": collation,
        "numeric": _sorted(numeric, FILES),
        "file_dialog": _file_dialog_order(app),
        "case": {name: [QLocale(name).toUpper("abc ǆ straße i"), QLocale(name).toLower("ABC İ ΣΑΣ")]
                 for name in ("zh_CN", "en_US", "tr_TR", "el_GR", "C")},
        "zones": zones,
        "codecs": {name: [QStringDecoder(name).isValid(), _icu_decode(name, data)] for name, data in ENCODED.items()},
        "available_codecs": sorted(QStringConverter.availableCodecs()),
    }


if __name__ == "__main__":
    print(json.dumps(probe(), ensure_ascii=False, indent=1))
