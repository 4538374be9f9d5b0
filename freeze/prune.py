"""What ``build.spec`` leaves out of the frozen build: Qt parts HallDesk never loads.

PyInstaller's PySide6 hooks collect every plugin of each Qt module we import, and the libraries those plugins
need.  HallDesk uses QtCore, QtGui, QtWidgets, QtPrintSupport (the notice preview's 打印…), QtMultimedia and
QtMultimediaWidgets (the 高拍仪 camera at the counter; its FFmpeg backend also loads QtQuick, QtQml, QtNetwork,
QtOpenGL and QtConcurrent, which therefore stay).  Patterns are matched against the path inside the bundle,
lower case, ``/`` separated, and cover both wheel layouts: ``PySide6/Qt/{lib,plugins,translations}/`` on Linux,
``PySide6/*.dll`` with ``PySide6/{plugins,translations}/`` on Windows.

QtCharts (needed by a later issue) is not dropped here: importing ``PySide6.QtCharts`` in ``ui/`` is enough for
the hooks to collect it.  Adding another Qt module is the same; only check that no pattern below removes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import TypeVar

DROP: dict[str, str] = {
    # Qt modules nothing of ours loads, pulled in by plugins we drop below.
    "*qt6pdf*": "Qt PDF (the PDF image-format plugin; we render PDFs with pdfium)",
    "*/imageformats/*qpdf*": "the PDF image-format plugin",
    "*qt6virtualkeyboard*": "the on-screen keyboard (a kiosk feature; counters have keyboards)",
    "*/platforminputcontexts/*virtualkeyboard*": "the on-screen keyboard's input context",
    "*qt6webengine*": "a browser engine (not used)",
    "*qt63d*": "Qt 3D (not used)",
    # Platforms for embedded devices: a counter PC runs X11 (xcb), Wayland or Windows.
    "*/platforms/*eglfs*": "embedded full-screen EGL",
    "*/platforms/*linuxfb*": "the Linux framebuffer",
    "*/platforms/*vnc*": "the VNC server platform",
    "*/platforms/*vkkhrdisplay*": "Vulkan on a bare display",
    "*/platforms/*minimalegl*": "a test platform",
    "*/egldeviceintegrations/*": "eglfs back ends",
    "*qt6eglfs*": "eglfs support libraries",
    "*/generic/*": "evdev and TUIO input, used by the embedded platforms only",
    # GTK 3 theme: needs libgtk-3, which PyInstaller does not bundle (it warns); Qt falls back to its own style.
    "*/platformthemes/*gtk3*": "the GTK 3 theme",
    # Network status and TLS back ends of QtNetwork: HallDesk opens no HTTP or TLS connection through Qt.
    "*/networkinformation/*": "network status back ends",
    "*/tls/*": "Qt's TLS back ends",
    # Pillow's AVIF codec (5 MB): no scanner or camera of a hall writes AVIF; Pillow imports it only on demand.
    "pil/_avif*": "Pillow's AVIF module",
    "pillow.libs/libavif*": "the AVIF codec library",
    "pil/_imagingtk*": "Pillow's Tk bridge (no Tk here)",
}

# Qt's own translations: only Chinese (install_translator loads qtbase_zh_CN; qt_zh_CN names the others).
TRANSLATIONS = "*/translations/*.qm"
KEEP_TRANSLATIONS = "*_zh_cn.qm"

Entry = TypeVar("Entry", bound=tuple[str, ...])


def dropped(dest: str) -> str | None:
    """Why the file at ``dest`` (its path inside the bundle) is left out, or None to keep it."""
    path = dest.replace("\\", "/").lower()
    if fnmatchcase(path, TRANSLATIONS) and not fnmatchcase(path, KEEP_TRANSLATIONS):
        return "Qt translations other than Chinese"
    for pattern, why in DROP.items():
        if fnmatchcase(path, pattern):
            return why
    return None


def prune(entries: Iterable[Entry]) -> list[Entry]:
    """``entries`` (PyInstaller's TOC: (dest, source, kind) tuples) without the dropped files."""
    return [entry for entry in entries if dropped(entry[0]) is None]
