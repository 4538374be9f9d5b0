"""``--version`` and ``--smoke-test``: what the frozen program says about itself, and its start checked.

``HallDesk --smoke-test`` (also ``python -m app --smoke-test``) starts the GUI as usual — input-method check,
application setup, bundled font, style sheet, translator, the database — shows the login window (offscreen when
``QT_QPA_PLATFORM=offscreen``), checks that it painted, in the bundled font, with every character of its texts
in that font, lists the input-method plugins Qt can load, prints ``OK`` and quits (exit code 0; 1 and the
reasons otherwise).  tests/test_frozen.py runs it on the frozen build; an admin may run it after installing.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import Any

import PySide6
from PySide6.QtCore import QCoreApplication, QPluginLoader, qVersion
from PySide6.QtGui import QColor, QFontDatabase, QFontInfo, QFontMetrics, QImage
from PySide6.QtWidgets import QApplication, QLabel

from app.resources import font_path, halldesk_version
from ui import input_method


def version_text() -> str:
    return (f"HallDesk（一窗通）{halldesk_version()}\n"
            f"Python {platform.python_version()}\n"
            f"Qt {qVersion()} (PySide6 {PySide6.__version__})")


def input_context_plugins() -> dict[str, str]:
    """Input-method keys Qt can load (``ibus``, ``compose``, ``fcitx5``, …) → the plugin file providing each."""
    found: dict[str, str] = {}
    for base in QCoreApplication.libraryPaths():
        folder = Path(base) / "platforminputcontexts"
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            meta: Any = QPluginLoader(str(path)).metaData()  # a dict (JSON object) in PySide6
            inner = meta.get("MetaData") if isinstance(meta, dict) else None
            keys = inner.get("Keys", []) if isinstance(inner, dict) else []
            for key in keys:
                found.setdefault(str(key), path.name)
    return found


def painted_share(image: QImage) -> float:
    """The share of pixels differing from the top-left one (the window's background)."""
    if image.isNull() or image.width() == 0 or image.height() == 0:
        return 0.0
    background = image.pixelColor(0, 0)
    step = 2
    total = differ = 0
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            total += 1
            colour: QColor = image.pixelColor(x, y)
            if colour != background:
                differ += 1
    return differ / total


def smoke_test(db_url: str | None = None) -> int:
    from app.context import HallDesk
    from app.errors import HallDeskError
    from ui.login import LoginWindow
    from ui.main import install_translator, setup_application
    from ui.multimedia import camera_part_installed

    check = input_method.prepare()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    setup_application(app)
    problems: list[str] = []
    if install_translator(app) is None:
        problems.append("Qt 的中文翻译（qtbase_zh_CN.qm）未找到")
    font_id = QFontDatabase.addApplicationFont(str(font_path()))
    bundled = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not bundled:
        problems.append(f"自带字体无法载入：{font_path()}")
    try:
        hall = HallDesk.open(db_url)
        hall.require_schema()
    except HallDeskError as exc:
        print(f"FAILED: {exc.message}", file=sys.stderr)
        return 1
    try:
        window = LoginWindow(hall)
        window.show()
        for _ in range(5):
            app.processEvents()
        image = window.grab().toImage()
        share = painted_share(image)
        if share < 0.01:
            problems.append(f"登录窗口几乎是空白的（{share:.1%} 的像素不同于背景）")
        for label in window.findChildren(QLabel):
            text = label.text()
            family = QFontInfo(label.font()).family()
            if text and bundled and family not in bundled:
                problems.append(f"“{text}”的字体是 {family}，不是自带的 {bundled[0]}")
            metrics = QFontMetrics(label.font())
            missing = sorted({c for c in text if not c.isspace() and not metrics.inFontUcs4(ord(c))})
            if missing:
                problems.append(f"“{text}”中的 {''.join(missing)} 不在字体 {family} 中")
        plugins = input_context_plugins()
        print(version_text())
        print(f"platform: {app.platformName()}")
        print(f"window: {window.windowTitle()} {image.width()}x{image.height()}, painted {share:.0%}")
        print(f"font: {', '.join(bundled)}")
        print("input methods: " + ", ".join(f"{key} ({name})" for key, name in sorted(plugins.items())))
        print(f"input method wanted: {check.wanted or '-'}; switched to: {check.switched_to or '-'}")
        # Absent is not a failure: the 高拍仪 part is installed only where there is a camera (freeze/parts.py);
        # present, its FFmpeg back end must load (it knows media formats only then).
        if camera_part_installed():
            from PySide6.QtMultimedia import QMediaDevices, QMediaFormat

            formats = QMediaFormat().supportedFileFormats(QMediaFormat.ConversionMode.Decode)
            if not formats:
                problems.append("高拍仪组件已安装，但 Qt Multimedia 的 FFmpeg 后端无法载入")
            print(f"camera part: installed, {len(QMediaDevices.videoInputs())} camera(s), "
                  f"{len(formats)} media formats")
        else:
            print("camera part: not installed")
        for key in ("ibus", "compose"):
            if key not in plugins:
                problems.append(f"缺少输入法插件 {key}")
        window.close()
    finally:
        hall.close()
    if problems:
        for problem in problems:
            print(f"FAILED: {problem}", file=sys.stderr)
        return 1
    print("OK")
    return 0
