"""Chinese input on Linux (ui/input_method.py): what the session wants, the plugin folders, the admin's notice.

Real environment mappings, real folders in Qt's plugin layout (``plugins/platforminputcontexts/``) with a real Qt
plugin (PySide6's own compose plugin under the fcitx5 plugin's file name) or a file that is no library at all,
and a ``/proc``-shaped folder for the running daemons.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QSettings
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from ui import input_method
from ui.input_method import PLUGIN_FILE, InputMethodCheck, prepare, session_wants

QT_PLUGINS = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))


@pytest.fixture(autouse=True)
def _restore_qt_paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    before = QCoreApplication.libraryPaths()
    monkeypatch.setattr(input_method, "last_check", None)
    yield
    QCoreApplication.setLibraryPaths(before)


def _folder_with(tmp_path: Path, name: str, content: bytes | Path) -> Path:
    folder = tmp_path / "plugins"
    (folder / "platforminputcontexts").mkdir(parents=True)
    target = folder / "platforminputcontexts" / name
    if isinstance(content, Path):
        shutil.copy(content, target)
    else:
        target.write_bytes(content)
    return folder


def _compose_plugin() -> Path:
    found = sorted((QT_PLUGINS / "platforminputcontexts").glob("*compose*"))
    assert found, QT_PLUGINS
    return found[0]


@pytest.mark.parametrize(("env", "running", "wanted", "reason"), [
    ({"QT_IM_MODULE": "fcitx"}, set(), "fcitx", "QT_IM_MODULE=fcitx"),
    ({"QT_IM_MODULE": "fcitx5", "XMODIFIERS": "@im=ibus"}, set(), "fcitx5", "QT_IM_MODULE=fcitx5"),
    ({"XMODIFIERS": "@im=fcitx"}, set(), "fcitx", "XMODIFIERS=@im=fcitx"),
    ({"GTK_IM_MODULE": "fcitx"}, set(), "fcitx", "GTK_IM_MODULE=fcitx"),
    ({"QT_IM_MODULE": "ibus"}, {"fcitx5"}, "ibus", "QT_IM_MODULE=ibus"),
    ({}, {"fcitx5", "ibus-daemon"}, "fcitx5", "正在运行的 fcitx5 进程"),
    ({"QT_IM_MODULE": "xim"}, {"fcitx"}, "fcitx", "正在运行的 fcitx 进程"),
    ({}, {"ibus-daemon"}, None, ""),
    ({"LANG": "zh_CN.UTF-8"}, set(), None, ""),
])
def test_what_the_session_wants(env: dict[str, str], running: set[str], wanted: str | None, reason: str) -> None:
    assert session_wants(env, running) == (wanted, reason)


def test_running_daemons_are_read_from_proc(tmp_path: Path) -> None:
    for pid, name in ((1, "systemd"), (812, "fcitx5"), (900, "ibus-daemon"), (901, "bash")):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "comm").write_text(f"{name}\n", encoding="utf-8")
    (tmp_path / "self").mkdir()
    (tmp_path / "77").mkdir()  # a process gone between listing and reading
    assert input_method.running_input_methods(tmp_path) == {"fcitx5", "ibus-daemon"}
    assert input_method.running_input_methods(tmp_path / "missing") == set()


def test_a_plugin_folder_comes_first_and_a_working_fcitx_plugin_is_used(tmp_path: Path) -> None:
    folder = _folder_with(tmp_path, PLUGIN_FILE, _compose_plugin())
    env = {"QT_IM_MODULE": "fcitx"}
    check = prepare(env, folders=[tmp_path / "absent", folder], running={"fcitx5"})
    assert QCoreApplication.libraryPaths()[0] == str(folder)
    assert check.folders == (folder,)
    assert check.plugin == folder / "platforminputcontexts" / PLUGIN_FILE
    assert not check.fcitx_missing and check.switched_to is None and check.broken == ()
    assert env == {"QT_IM_MODULE": "fcitx"}  # nothing switched
    assert input_method.last_check is check


def test_fcitx5_without_a_plugin_switches_to_its_ibus_interface(tmp_path: Path) -> None:
    env = {"QT_IM_MODULE": "fcitx", "LANG": "zh_CN.UTF-8"}
    check = prepare(env, folders=[tmp_path / "plugins"], running={"fcitx5"})
    assert check.fcitx_missing and check.plugin is None and check.switched_to == "ibus"
    assert env == {"QT_IM_MODULE": "ibus", "IBUS_USE_PORTAL": "1", "LANG": "zh_CN.UTF-8"}


def test_fcitx4_with_ibus_running_switches_to_ibus(tmp_path: Path) -> None:
    env = {"XMODIFIERS": "@im=fcitx"}
    check = prepare(env, folders=[], running={"fcitx", "ibus-daemon"})
    assert check.switched_to == "ibus" and env["QT_IM_MODULE"] == "ibus" and "IBUS_USE_PORTAL" not in env


def test_a_plugin_that_does_not_load_is_named_and_never_used(tmp_path: Path) -> None:
    folder = _folder_with(tmp_path, PLUGIN_FILE, b"\x7fELF not really a library")
    env = {"QT_IM_MODULE": "fcitx"}
    check = prepare(env, folders=[folder], running=set())
    assert check.fcitx_missing and len(check.broken) == 1
    assert check.broken[0].startswith(f"{folder / 'platforminputcontexts' / PLUGIN_FILE}：")
    assert env["QT_IM_MODULE"] == "compose"  # Qt must not load it lazily and abort at the first key
    assert check.switched_to == "compose"


def test_nothing_to_do_without_fcitx(tmp_path: Path) -> None:
    env = {"QT_IM_MODULE": "ibus"}
    check = prepare(env, folders=[], running={"ibus-daemon"})
    assert check.wanted == "ibus" and not check.fcitx_missing and env == {"QT_IM_MODULE": "ibus"}


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_the_admin_is_told_once_in_chinese(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLDESK_DATA_DIR", str(tmp_path / "data"))
    parent = QWidget()
    qtbot.addWidget(parent)
    check = InputMethodCheck(wanted="fcitx", reason="QT_IM_MODULE=fcitx", qt_version="6.11.3",
                             broken=("/opt/HallDesk/plugins/platforminputcontexts/x.so：undefined symbol",))
    settings = _settings(tmp_path)
    box = input_method.tell_admin_once(parent, check, settings)
    assert isinstance(box, QMessageBox)
    qtbot.waitUntil(box.isVisible)
    text = box.text()
    assert "QT_IM_MODULE=fcitx" in text and "Qt 6.11.3" in text and PLUGIN_FILE in text
    assert "platforminputcontexts" in text and "undefined symbol" in text and "只显示一次" in text
    box.close()

    assert input_method.tell_admin_once(parent, check, settings) is None  # once per computer …
    upgraded = InputMethodCheck(wanted="fcitx", reason="QT_IM_MODULE=fcitx", qt_version="6.12.0")
    again = input_method.tell_admin_once(parent, upgraded, _settings(tmp_path))
    assert again is not None  # … and Qt version
    again.close()


def test_switched_to_fcitx5_ibus_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    check = InputMethodCheck(wanted="fcitx5", reason="正在运行的 fcitx5 进程", qt_version="6.11.3",
                             switched_to="ibus")
    box = input_method.tell_admin_once(None, check, _settings(tmp_path))
    assert box is not None and "已自动改用 fcitx5 的 ibus 兼容接口" in box.text()
    box.close()


def test_no_notice_when_fcitx_works_or_nothing_was_checked(qtbot: QtBot, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert input_method.tell_admin_once(None, None, settings) is None  # prepare() never ran (tests, Windows)
    ok = InputMethodCheck(wanted="fcitx5", reason="QT_IM_MODULE=fcitx5", qt_version="6.11.3",
                          plugin=Path("/opt/x.so"))
    assert input_method.tell_admin_once(None, ok, settings) is None
    assert settings.allKeys() == []
