"""Where the bundled resources live (also inside a PyInstaller bundle)."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def default_catalog_path() -> Path:
    return resources_dir() / "catalog" / "default.yaml"


def font_path() -> Path:
    return resources_dir() / "fonts" / "wqy-microhei.ttc"
