"""Chinese input on Linux: which input method the desktop uses, and whether our Qt can talk to it.

PySide6's Qt ships two input-method plugins (``platforminputcontexts``): ibus and compose.  Under fcitx or
fcitx5, the usual input method on UOS and Kylin, Qt looks for a fcitx plugin, finds none, and falls back to
compose: no Chinese can be typed.  A fcitx5 Qt 6 plugin from the distribution does not help: it is built against
the distribution's Qt and uses Qt's private API, so only one built against *our* Qt version loads (README
"Chinese input").  On Windows none of this applies: IMEs work through the windows platform plugin itself.

``prepare()`` runs before the ``QApplication`` exists (Qt picks its input method while it starts):

1. adds the plugin folders an admin may fill (``plugins/`` beside the program and in the data folder) to Qt's
   library paths, first, so a plugin dropped there wins;
2. finds out whether the session wants fcitx (``QT_IM_MODULE``, ``XMODIFIERS``, ``GTK_IM_MODULE``, else a running
   fcitx5/fcitx process) and whether a fcitx plugin in those paths loads with all its symbols resolved;
3. when it wants fcitx and none loads: if fcitx5 runs, switches this program to Qt's ibus plugin through the
   IBus portal interface, which fcitx5 also serves (``QT_IM_MODULE=ibus``, ``IBUS_USE_PORTAL=1``: without the
   portal, Qt's ibus plugin gives up unless the ibus-daemon program is installed); if ibus-daemon runs, to ibus;
   otherwise, when a fcitx plugin was found that does not load, to compose (a half-loaded plugin would crash at
   the first key).

``tell_admin_once()`` then shows what is wrong and what to do, in Chinese, once per computer and Qt version.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QLibrary, QPluginLoader, QSettings, qVersion
from PySide6.QtWidgets import QWidget

from app.resources import plugin_folders

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

log = logging.getLogger(__name__)

FCITX_NAMES = ("fcitx5", "fcitx")
PLUGIN_FILE = "libfcitx5platforminputcontextplugin.so"
SETTINGS_KEY = "input_method/told"


@dataclass(frozen=True)
class InputMethodCheck:
    """What ``prepare()`` found.  ``wanted``: "fcitx5", "fcitx", "ibus" or None (nothing asked for)."""

    wanted: str | None
    reason: str  # which setting or process said so, e.g. "QT_IM_MODULE=fcitx"
    qt_version: str
    plugin: Path | None = None  # a fcitx plugin that loaded
    broken: tuple[str, ...] = ()  # fcitx plugins found that did not load, with Qt's reason
    switched_to: str | None = None  # the input method set for this program instead
    folders: tuple[Path, ...] = field(default=())

    @property
    def fcitx_missing(self) -> bool:
        return self.wanted in FCITX_NAMES and self.plugin is None


last_check: InputMethodCheck | None = None


def _im_name(value: str) -> str | None:
    value = value.strip().lower().removeprefix("@im=")
    return value if value in (*FCITX_NAMES, "ibus") else None


def session_wants(env: Mapping[str, str], running: Iterable[str] = ()) -> tuple[str | None, str]:
    """The input method the session asks for, and why: the variables first, then a running daemon."""
    for variable in ("QT_IM_MODULE", "XMODIFIERS", "GTK_IM_MODULE"):
        name = _im_name(env.get(variable, ""))
        if name is not None:
            return name, f"{variable}={env[variable]}"
    daemons = set(running)
    for name in FCITX_NAMES:
        if name in daemons:
            return name, f"正在运行的 {name} 进程"
    return None, ""


def running_input_methods(proc: Path = Path("/proc")) -> set[str]:
    """Names of the input-method daemons running (fcitx5, fcitx, ibus-daemon), from ``/proc/*/comm``."""
    wanted = {*FCITX_NAMES, "ibus-daemon"}
    found: set[str] = set()
    try:
        entries = [entry.name for entry in os.scandir(proc) if entry.name.isdigit()]
    except OSError:
        return found
    for pid in entries:
        try:
            with open(os.path.join(proc, pid, "comm"), "rb") as fh:
                name = fh.read().decode("utf-8", "replace").strip()
        except OSError:
            continue
        if name in wanted:
            found.add(name)
    return found


def add_plugin_folders(folders: Iterable[Path]) -> list[Path]:
    """Put the existing ``folders`` first in Qt's library paths; returns those added."""
    added = [folder for folder in folders if folder.is_dir()]
    for folder in reversed(added):  # addLibraryPath prepends: the first folder ends up first
        QCoreApplication.addLibraryPath(str(folder))
    return added


def fcitx_plugins(library_paths: Iterable[str]) -> list[Path]:
    """Every fcitx input-method plugin file in Qt's library paths, in search order."""
    found: list[Path] = []
    for base in library_paths:
        folder = Path(base) / "platforminputcontexts"
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if "fcitx" in p.name.lower() and p.is_file())
    return found


def load_problem(path: Path) -> str | None:
    """None when the plugin at ``path`` loads into our Qt with every symbol resolved, else Qt's reason.

    All symbols at once (RTLD_NOW): a plugin built against another Qt version lacks some of Qt's private
    symbols, which lazy binding would only notice at the first key press, by aborting the program.
    """
    loader = QPluginLoader(str(path))
    loader.setLoadHints(QLibrary.LoadHint.ResolveAllSymbolsHint)
    if not loader.load():
        return loader.errorString() or "无法载入"
    return None


def prepare(env: MutableMapping[str, str] | None = None, *, folders: Iterable[Path] | None = None,
            running: Iterable[str] | None = None) -> InputMethodCheck:
    """Get Qt's input method right before the ``QApplication`` is made (see the module's text)."""
    global last_check
    env = os.environ if env is None else env
    added = add_plugin_folders(plugin_folders() if folders is None else folders)
    scanned: set[str] | None = None if running is None else set(running)

    def daemons() -> set[str]:  # the processes are read only when needed: it costs a few ms of every start
        nonlocal scanned
        if scanned is None:
            scanned = running_input_methods()
        return scanned

    wanted, reason = session_wants(env)  # the variables decide first
    if wanted is None:
        wanted, reason = session_wants(env, daemons())
    plugin: Path | None = None
    broken: list[str] = []
    if wanted in FCITX_NAMES:
        for candidate in fcitx_plugins(QCoreApplication.libraryPaths()):
            problem = load_problem(candidate)
            if problem is None:
                plugin = candidate
                break
            short = problem.replace(f"Cannot load library {candidate}: ", "").replace(f"{candidate}: ", "")
            broken.append(f"{candidate}：{short}")
    switched: str | None = None
    if wanted in FCITX_NAMES and plugin is None:
        if "fcitx5" in daemons():
            env["QT_IM_MODULE"], env["IBUS_USE_PORTAL"] = "ibus", "1"
            switched = "ibus"
        elif "ibus-daemon" in daemons():
            env["QT_IM_MODULE"] = switched = "ibus"
        elif broken:
            env["QT_IM_MODULE"] = switched = "compose"
    check = InputMethodCheck(wanted=wanted, reason=reason, qt_version=qVersion(), plugin=plugin,
                             broken=tuple(broken), switched_to=switched, folders=tuple(added))
    if check.fcitx_missing:
        log.warning("fcitx wanted (%s) but no fcitx plugin loads into Qt %s; switched to %s; %s",
                    reason, check.qt_version, switched, "; ".join(broken) or "none found")
    last_check = check
    return check


def notice_text(check: InputMethodCheck, folder: Path) -> str:
    """What the admin reads when fcitx cannot work; ``folder`` is where a plugin should go."""
    lines = [
        f"这台电脑使用 fcitx 输入法（{check.reason}），但 HallDesk 自带的 Qt {check.qt_version} "
        "没有能用的 fcitx 输入法插件，在 HallDesk 中可能打不出中文。",
    ]
    if check.switched_to == "ibus":
        lines.append("本次已自动改用 fcitx5 的 ibus 兼容接口；如果能打出中文，可以不再处理。")
    lines += [
        "",
        "请系统管理员任选一种办法处理：",
        f"1. 用 Qt {check.qt_version} 编译 fcitx5-qt 的 Qt 6 插件（做法见说明书“Chinese input (输入法)”一节），"
        f"把 {PLUGIN_FILE} 放进 {folder / 'platforminputcontexts'}，再重新打开 HallDesk；",
        "2. 改用 fcitx5 并保持其 ibus 兼容接口开启，或改用 ibus 输入法。",
    ]
    if check.broken:
        lines += ["", "找到了 fcitx 插件，但无法载入（多为编译时所用的 Qt 版本不同）："]
        lines += [f"  {item}" for item in check.broken]
    lines += ["", "此提示在每台电脑上只显示一次。"]
    return "\n".join(lines)


def tell_admin_once(parent: QWidget | None, check: InputMethodCheck | None = None,
                    settings: QSettings | None = None) -> QMessageBox | None:
    """Show the fcitx notice (not modal) unless it was shown on this computer for this Qt version."""
    check = last_check if check is None else check
    if check is None or not check.fcitx_missing:
        return None
    settings = QSettings() if settings is None else settings
    mark = f"{check.qt_version}:{check.wanted}:{check.switched_to}"
    if settings.value(SETTINGS_KEY, "") == mark:
        return None
    settings.setValue(SETTINGS_KEY, mark)
    from PySide6.QtWidgets import QMessageBox  # shown once per PC and Qt version: not on the fast path

    box = QMessageBox(QMessageBox.Icon.Warning, "中文输入法", notice_text(check, plugin_folders()[0]),
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("inputMethodNotice")
    box.open()
    return box
