"""The admin's pages: 用户管理, 窗口管理, 大厅设置, 节假日.

Every service call runs off the GUI thread as an ``ui.ops`` op; a refused save leaves the dialog open with
the user's input.  Form pages have symmetric ``load()`` / ``save()``.
"""


from __future__ import annotations

from PySide6.QtWidgets import (
    QLabel,
    QVBoxLayout,
    QWidget,
)


def page_layout(widget: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    return layout


def page_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("pageTitle")
    return label
