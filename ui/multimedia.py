"""Whether this PC has Qt Multimedia: the frozen Linux build ships it as an optional part, HallDesk-camera.

Shared by the counter's 拍照 (``ui.counter.camera``) and ``--smoke-test`` (``ui.selfcheck``); the part itself is
made by ``freeze/parts.py`` (README "The frozen build").
"""

from __future__ import annotations

NO_CAMERA_PART = "本机未安装高拍仪组件（HallDesk-camera），请系统管理员安装；材料可用扫描件文件夹或“添加扫描件…”录入"


def camera_part_installed() -> bool:
    """Whether Qt Multimedia can be loaded here (always in a development install; in the frozen Linux build only
    once the HallDesk-camera part has been copied over the program)."""
    try:
        import PySide6.QtMultimedia  # noqa: F401
    except ImportError:
        return False
    return True
