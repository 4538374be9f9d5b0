"""Screenshots of the real windows for a reviewer to look at (issue 15 item 8).

``screenshot_folder`` is where they go: the folder named by ``HALLDESK_SCREENSHOTS`` (created if missing),
else a folder under pytest's temporary directory.  ``take`` writes one widget's ``grab()`` as a PNG;
``distinct_colours`` tells a drawn window from a blank one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

SCREENSHOTS_ENV = "HALLDESK_SCREENSHOTS"


def screenshot_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get(SCREENSHOTS_ENV, "").strip()
    if chosen:
        folder = Path(chosen).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    folder = tmp_path_factory.getbasetemp() / "screenshots"  # one folder for the run, e.g. /tmp/pytest-of-…/pytest-N
    folder.mkdir(exist_ok=True)
    return folder


def file_name(*parts: str) -> str:
    """``clerk1``, ``01``, ``counter`` → ``clerk1-01-counter.png`` (only letters, digits, ``-`` and ``_``)."""
    return "-".join(re.sub(r"[^A-Za-z0-9_]+", "_", p) for p in parts if p) + ".png"


def take(widget: QWidget, folder: Path, name: str) -> Path:
    """``widget`` as drawn now (``grab()``), written to ``folder/name``."""
    path = folder / name
    assert widget.grab().save(str(path), "PNG"), f"could not write {path}"
    return path


def distinct_colours(image: QImage) -> int:
    """How many different colours the image has (a blank or single-colour window has one or two)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    return len(set(memoryview(rgb.constBits()).cast("I")))
