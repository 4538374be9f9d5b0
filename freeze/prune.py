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

import posixpath
import subprocess
from collections.abc import Callable, Iterable
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
    # WebP and colour management: app/scans.py takes PDF, JPEG, PNG and TIFF only, and converts no ICC profile;
    # Pillow skips a plugin whose module is missing.
    "pil/_webp*": "Pillow's WebP module",
    "pillow.libs/libwebp*": "the WebP codec",
    "pillow.libs/libsharpyuv*": "the WebP codec's",
    "pil/_imagingcms*": "Pillow's colour management (ImageCms)",
    "pillow.libs/liblcms2*": "Little CMS",
}

# Linux only: libraries of the desktop itself, which PyInstaller copied from the build machine because a Qt
# library or plugin links them.  A counter PC running a desktop (UOS, Kylin, Debian, Ubuntu) has each of them;
# a copy from the build machine adds 25–30 MB and can be wrong for the PC (X and D-Bus libraries must match the
# system's servers, GL must be the system's driver).  AppImage leaves out the same kind of library for the same
# reason.  Matched against the file name at the top of the bundle (where PyInstaller puts system libraries); the
# README ("The frozen build") lists the Debian packages.  Kept: Python's own (libpython, OpenSSL, SQLite, libffi,
# bz2, lzma, readline, uuid, mpdec), libstdc++ and libgcc_s (newer than old systems'), libzstd (Qt Core's; not
# on every old system), and the xcb-util family (libxcb-cursor, -icccm, -image, -keysyms, -render-util, -util),
# which Qt 6.5+ needs and a desktop does not always have.
SYSTEM_LIBRARIES: dict[str, str] = {
    # X11 and its protocol libraries (libx11-6, libx11-xcb1, libxext6, libxrender1, libxrandr2, libxau6,
    # libxdmcp6, libxcb1 and its extensions, libxkbcommon0, libxkbcommon-x11-0)
    "libx11.so.*": "X11",
    "libx11-xcb.so.*": "X11",
    "libxext.so.*": "X11",
    "libxrender.so.*": "X11",
    "libxrandr.so.*": "X11",
    "libxau.so.*": "X11",
    "libxdmcp.so.*": "X11",
    "libbsd.so.*": "libXdmcp's",
    "libmd.so.*": "libXdmcp's",
    "libxcb.so.*": "X11 (xcb)",
    "libxcb-glx.so.*": "X11 (xcb)",
    "libxcb-randr.so.*": "X11 (xcb)",
    "libxcb-render.so.*": "X11 (xcb)",
    "libxcb-shape.so.*": "X11 (xcb)",
    "libxcb-shm.so.*": "X11 (xcb)",
    "libxcb-sync.so.*": "X11 (xcb)",
    "libxcb-xfixes.so.*": "X11 (xcb)",
    "libxcb-xkb.so.*": "X11 (xcb)",
    "libxkbcommon.so.*": "the keyboard map",
    "libxkbcommon-x11.so.*": "the keyboard map",
    # Fonts (libfontconfig1, libfreetype6 and what they link)
    "libfontconfig.so.*": "fonts",
    "libfreetype.so.*": "fonts",
    "libexpat.so.*": "fontconfig's (Python's pyexpat has its own)",
    "libpng16.so.*": "freetype's",
    "libbrotlicommon.so.*": "freetype's",
    "libbrotlidec.so.*": "freetype's",
    "libharfbuzz.so.*": "text shaping (Qt has its own; this is pango's)",
    "libgraphite2.so.*": "harfbuzz's",
    # GLib (libglib2.0-0), which Qt's event loop and D-Bus use
    "libglib-2.0.so.*": "GLib",
    "libgobject-2.0.so.*": "GLib",
    "libgio-2.0.so.*": "GLib",
    "libgmodule-2.0.so.*": "GLib",
    "libgthread-2.0.so.*": "GLib",
    "libpcre2-8.so.*": "GLib's",
    "libmount.so.*": "GLib's",
    "libblkid.so.*": "GLib's",
    "libselinux.so.*": "GLib's",
    # D-Bus and systemd (libdbus-1-3, libsystemd0): the session's bus, the input method's and the portal's
    "libdbus-1.so.*": "D-Bus",
    "libsystemd.so.*": "D-Bus's",
    "liblz4.so.*": "systemd's",
    "libgcrypt.so.*": "systemd's",
    "libgpg-error.so.*": "systemd's",
    "libcap.so.*": "systemd's",
    # Sound (libpulse0): Qt Multimedia's; a desktop's sound server
    "libpulse.so.*": "PulseAudio",
    "libpulsecommon-*.so": "PulseAudio",
    "libasyncns.so.*": "PulseAudio's",
    "libsndfile.so.*": "PulseAudio's",
    "libflac.so.*": "PulseAudio's",
    "libogg.so.*": "PulseAudio's",
    "libvorbis.so.*": "PulseAudio's",
    "libvorbisenc.so.*": "PulseAudio's",
    "libopus.so.*": "PulseAudio's",
    "libmp3lame.so.*": "PulseAudio's",
    "libmpg123.so.*": "PulseAudio's",
    # Printing (libcups2) and Kerberos (libgssapi-krb5-2, which Qt Network links)
    "libcups.so.*": "CUPS",
    "libavahi-client.so.*": "CUPS's",
    "libavahi-common.so.*": "CUPS's",
    "libgnutls.so.*": "CUPS's",
    "libunistring.so.*": "CUPS's",
    "libidn2.so.*": "CUPS's",
    "libp11-kit.so.*": "CUPS's",
    "libtasn1.so.*": "CUPS's",
    "libnettle.so.*": "CUPS's",
    "libhogweed.so.*": "CUPS's",
    "libgmp.so.*": "CUPS's",
    "libgssapi_krb5.so.*": "Kerberos",
    "libkrb5.so.*": "Kerberos",
    "libk5crypto.so.*": "Kerberos",
    "libkrb5support.so.*": "Kerberos",
    "libcom_err.so.*": "Kerberos",
    "libkeyutils.so.*": "Kerberos",
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


def system_library(dest: str) -> str | None:
    """Why the file at ``dest`` is left to the PC's own system (``SYSTEM_LIBRARIES``), or None.  Linux bundles
    only: the build calls this there."""
    path = dest.replace("\\", "/").lower()
    if "/" in path:
        return None  # a library of a Python package or of Qt, never the system's
    for pattern, what in SYSTEM_LIBRARIES.items():
        if fnmatchcase(path, pattern):
            return what
    return None


def prune(entries: Iterable[Entry], *, linux: bool = False) -> list[Entry]:
    """``entries`` (PyInstaller's TOC: (dest, source, kind) tuples) without the dropped files, and on Linux
    without the desktop's own libraries."""
    return [entry for entry in entries
            if dropped(entry[0]) is None and not (linux and system_library(entry[0]) is not None)]


def drop_dangling_links(entries: Iterable[Entry], bundle: Iterable[Entry]) -> list[Entry]:
    """``entries`` without the symbolic links (PyInstaller's ``SYMLINK`` entries: (dest, relative target, kind))
    whose target is not in ``bundle`` (all that will be collected): PyInstaller links a package's private
    libraries (``pillow.libs/…``) from the top of the bundle, among the data files, and a link to a file
    ``prune`` dropped would dangle."""
    kept = list(entries)
    present = {entry[0].replace("\\", "/") for entry in bundle if entry[2] != "SYMLINK"}

    def target(entry: Entry) -> str:
        dest = entry[0].replace("\\", "/")
        return posixpath.normpath(posixpath.join(posixpath.dirname(dest), entry[1].replace("\\", "/")))

    return [entry for entry in kept if entry[2] != "SYMLINK" or target(entry) in present]


def needed_libraries(path: str) -> list[str]:
    """The DT_NEEDED names of the ELF file at ``path`` (``objdump -p``; binutils is what PyInstaller itself needs
    on Linux).  Not an ELF file: none."""
    out = subprocess.run(["objdump", "-p", path], capture_output=True, text=True, check=False).stdout
    return [line.split()[1] for line in out.splitlines() if line.strip().startswith("NEEDED")]


def _system_library_name(dest: str) -> bool:
    """A shared library PyInstaller put at the top of the bundle (a dependency), not libpython nor a Python
    extension module (``_cffi_backend.cpython-311-….so`` sits there too)."""
    return ("/" not in dest.replace("\\", "/") and dest.startswith("lib") and ".so" in dest
            and ".cpython-" not in dest and not dest.startswith("libpython"))


def drop_orphans(entries: Iterable[Entry], needed: Callable[[str], Iterable[str]] = needed_libraries) -> list[Entry]:
    """``entries`` without the system libraries nothing left in the bundle links.

    PyInstaller collects the libraries each Qt plugin links before ``prune`` drops plugins, so a dropped plugin's
    libraries stay behind (the GTK theme's cairo, pango, gdk-pixbuf, atk: about 5 MB).  A library at the top of
    the bundle (where PyInstaller puts the system's) is kept while a kept file needs it; libpython stays, the
    program loads it.  Repeated until nothing more goes.  ``needed(source)`` gives the names a file links.
    """
    kept = list(entries)
    links = {entry[1]: set(needed(entry[1])) for entry in kept}
    while True:
        wanted = set().union(*(links[entry[1]] for entry in kept))
        orphans = [entry for entry in kept if _system_library_name(entry[0]) and entry[0] not in wanted]
        if not orphans:
            return kept
        kept = [entry for entry in kept if entry not in orphans]
