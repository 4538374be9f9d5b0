"""Optional parts of the frozen build: the 高拍仪 (camera) stack, in a folder of its own on Linux.

Qt Multimedia's only back end in the PySide6 wheels is FFmpeg, and Qt's FFmpeg plugin links QtQuick and QtQml:
the camera costs about 40 MB of a 200 MB bundle, and only the counters with a 高拍仪 use it (the others take
files from the scanner's folder or 添加扫描件…).  So ``build.spec`` moves the files only the camera needs from
``dist/HallDesk/`` to ``dist/HallDesk-camera/`` (the same layout), which an admin copies over the program folder
of a PC with a 高拍仪 (README, "The frozen build").  Without it ``import PySide6.QtMultimedia`` fails and the
counter says 未安装高拍仪组件 (``ui/counter/camera.py``).

Which files those are is worked out from the built folder itself: the part's roots (the Qt Multimedia bindings
and plugins), everything they link inside the bundle, less everything the rest of the program links — so a
library both need (QtGui, QtCore) stays in the program.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase
from pathlib import Path

from freeze.prune import needed_libraries

PART_FOLDER = "HallDesk-camera"
CONTENTS = "_internal"  # PyInstaller's contents folder beside the program
# Paths inside the contents folder, lower case, "/" separated (the Linux wheel's layout).
# QtNetwork's and QtConcurrent's bindings are there because QtMultimedia's import them; nothing of ours does.
CAMERA_ROOTS = (
    "pyside6/qtmultimedia.*",
    "pyside6/qtmultimediawidgets.*",
    "pyside6/qtnetwork.*",
    "pyside6/qtconcurrent.*",
    "pyside6/qt/plugins/multimedia/*",
)


def _relative(folder: Path) -> dict[str, Path]:
    """Every file and symbolic link under ``folder`` by its "/"-separated path inside it."""
    found: dict[str, Path] = {}
    for base, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(base) / name
            found[path.relative_to(folder).as_posix()] = path
    return found


def split_part(folder: Path, roots: Iterable[str],
               needed: Callable[[str], Iterable[str]] = needed_libraries) -> list[str]:
    """The paths inside ``folder`` (a bundle's contents folder) that only the files matching ``roots`` need.

    A symbolic link depends on its target; a library on every file of the bundle named like what it links
    (``needed(path)``: its DT_NEEDED names).
    """
    files = _relative(folder)
    by_name: dict[str, list[str]] = {}
    for rel in files:
        by_name.setdefault(rel.rsplit("/", 1)[-1], []).append(rel)

    def depends_on(rel: str) -> list[str]:
        path = files[rel]
        if path.is_symlink():
            target = (path.parent / os.readlink(path)).resolve()
            try:
                return [target.relative_to(folder.resolve()).as_posix()]
            except ValueError:
                return []  # points outside the bundle
        with open(path, "rb") as fh:
            if fh.read(4) != b"\x7fELF":
                return []  # data, not a library
        return [dep for name in needed(str(path)) for dep in by_name.get(name, [])]

    def closure(start: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(start)
        while todo:
            rel = todo.pop()
            if rel in seen or rel not in files:
                continue
            seen.add(rel)
            todo.extend(depends_on(rel))
        return seen

    patterns = [pattern.lower() for pattern in roots]
    part_roots = [rel for rel in files if any(fnmatchcase(rel.lower(), p) for p in patterns)]
    part = closure(part_roots)
    program = closure(rel for rel in files if rel not in part)
    return sorted(part - program)


def move_part(program: Path, part: Path, roots: Iterable[str] = CAMERA_ROOTS,
              needed: Callable[[str], Iterable[str]] = needed_libraries) -> list[str]:
    """Move what only ``roots`` need from the built ``program`` folder into ``part`` (same layout, made anew);
    the moved paths inside the contents folder.  An empty list when the program has none of the roots."""
    contents = program / CONTENTS
    moved = split_part(contents, roots, needed)
    if part.exists():
        for base, dirs, files in os.walk(part, topdown=False):
            for name in files:
                (Path(base) / name).unlink()
            for name in dirs:
                path = Path(base) / name
                path.unlink() if path.is_symlink() else path.rmdir()
        part.rmdir()
    for rel in moved:
        target = part / CONTENTS / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(contents / rel, target)  # a symbolic link moves as a link: it points right once copied over
    # Folders the move emptied (plugins/multimedia) go too.
    for base, _dirs, _files in os.walk(contents, topdown=False):
        if Path(base) != contents and not any(Path(base).iterdir()):
            Path(base).rmdir()
    return moved
