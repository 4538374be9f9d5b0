"""选择打印机: a printer picked from what this PC has, with no raw printer address to type.

``PrinterChooser(kind)`` offers the ways a printer is connected — for a receipt (``"thermal"``) printer:
Windows 打印机 (raw through the spooler), CUPS 队列, USB (ESC/POS devices found by their descriptors), 串口,
网络 TCP, 文件夹; for an A4 printer: 系统打印机 (``QPrinterInfo``: CUPS on Linux and macOS, the spooler on
Windows — see ``app.printing.queue.send_pdf``), 网络 TCP, 文件夹 — and lists what discovery found
(``app.printing.discovery``, in the background; 刷新 looks again).  The address it builds shows under 高级,
where it may also be typed; 打印测试页 sends a test page there and says in Chinese how it went.

Embedded in 打印机设置 (``ui.printing.printers``) and in the first-run wizard.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import limits
from app.auth import Actor
from app.context import HallDesk
from app.printing import discovery, testpage
from app.printing.discovery import Discovery, PrinterCandidate
from app.printing.folder import folder_uri
from app.printing.model import PrinterProfile
from app.printing.transport import BAUDRATES, DEFAULT_TCP_PORT, PrinterAddress, parse_printer_uri
from ui.models import DISPLAY, TOOLTIP, Index, RowListModel
from ui.ops import Op, run_op
from ui.widgets import CheckedField, buddy_label, hint_label, limit_line, tint

PrinterKind = Literal["thermal", "a4"]
WINDOWS = sys.platform == "win32"

# Ways of connecting, in the order this platform's usual ones come first.
_THERMAL = {"win32": "Windows 打印机", "cups": "CUPS 队列", "usb": "USB", "serial": "串口", "tcp": "网络 TCP",
            "folder": "文件夹", "none": "不设置"}
THERMAL_WAYS: tuple[str, ...] = (("win32", "usb", "serial", "tcp", "folder", "cups", "none") if WINDOWS
                                 else ("usb", "cups", "serial", "tcp", "folder", "win32", "none"))
A4_WAYS: tuple[str, ...] = ("system", "tcp", "folder", "none")
_A4 = {"system": "系统打印机", "tcp": "网络 TCP", "folder": "文件夹", "none": "不设置（在预览中打印）"}
LISTED = frozenset({"win32", "cups", "usb", "serial", "system"})
_HINTS = {
    "win32": "已安装在 Windows 中的打印机；回执以原始数据（RAW）经打印后台发送。",
    "cups": "本机 CUPS 中的打印队列；回执以原始数据发送，队列应为“Raw”类型。",
    "usb": "直接连接的 USB 小票打印机（按打印机接口及其端点识别）。Linux 上需要 udev 规则，见使用说明。",
    "serial": "串口小票打印机；波特率须与打印机设置一致（多为 9600 或 115200）。",
    "tcp": "网口打印机，一般为端口 9100。",
    "folder": "不连接打印机：每个打印任务存为文件夹中的一个新文件（回执 .bin，通知书 .pdf）。",
    "none": "",
    "system": "本机系统中的打印机（Windows 打印机，或 Linux/macOS 的 CUPS 打印机）。",
}


def _optional_uri(uri: str) -> object:
    return parse_printer_uri(uri) if uri.strip() else None


def system_uri(name: str) -> str:
    """The address of an A4 system printer: the spooler on Windows, CUPS elsewhere."""
    return f"win32://{name}" if WINDOWS else f"cups://{name}"


class CandidateListModel(RowListModel[PrinterCandidate]):
    """Printers found on this PC: the name, what it is (driver, device), the address as the tooltip."""

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role == DISPLAY:
            return f"{row.name}　{row.detail}" if row.detail else row.name
        if role == TOOLTIP:
            return row.uri
        return None

    def row_of(self, uri: str) -> int:
        return next((i for i, c in enumerate(self._rows) if c.uri == uri), -1)


class PrinterChooser(QWidget):
    """Pick a receipt (``kind="thermal"``) or A4 (``kind="a4"``) printer.

    ``uri()`` is the chosen address ('' for none), ``set_uri(uri)`` shows one (also one not found now: it is
    listed as 当前设置).  ``set_context(hall, actor, counter_number)`` lets 打印测试页 name the hall and
    counter and check the actor's permission; ``set_profile_source(fn)`` gives it the receipt profile to
    print the test page with (the printer settings' form).

    Signals:
        changed(str): the chosen address changed (by the clerk or by ``set_uri``).
        discovered(): a background search for printers finished and the list shows its result.
        test_finished(bool, str): 打印测试页 came back — ok, and the message shown.
    """

    changed = Signal(str)
    discovered = Signal()
    test_finished = Signal(bool, str)

    def __init__(self, kind: PrinterKind, parent: QWidget | None = None, *, discover: bool = True) -> None:
        super().__init__(parent)
        self.kind: PrinterKind = kind
        self._hall: HallDesk | None = None
        self._actor: Actor | None = None
        self.counter_number: int | None = None
        self._profile_source: Callable[[], PrinterProfile] = PrinterProfile
        self._found: Discovery = Discovery(())
        self._system: list[str] = []
        self._current: PrinterCandidate | None = None  # the address set from outside, if discovery lacks it
        self._current_way = ""
        self._syncing = False
        self._testing = False
        self._uri = ""
        ways, names = (THERMAL_WAYS, _THERMAL) if kind == "thermal" else (A4_WAYS, _A4)

        self.way_combo = QComboBox()
        for way in ways:
            self.way_combo.addItem(names[way], way)
        self.way_hint = hint_label()

        # ---- a list of found printers (Windows, CUPS, USB, serial, system)
        self.model = CandidateListModel(parent=self)
        self.device_list = QListView()
        self.device_list.setModel(self.model)
        self.device_list.setMinimumHeight(90)
        self.refresh_button = QPushButton("刷新(&R)")
        self.refresh_button.setToolTip("重新查找本机的打印机")
        self.found_label = hint_label()
        self.baud_combo = QComboBox()
        for rate in BAUDRATES:
            self.baud_combo.addItem(str(rate), rate)
        self.baud_combo.setCurrentIndex(self.baud_combo.findData(9600))
        self.baud_label = buddy_label("波特率(&B)", self.baud_combo)
        list_page = QWidget()
        list_layout = QVBoxLayout(list_page)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.addWidget(self.device_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.baud_label)
        row.addWidget(self.baud_combo)
        row.addWidget(self.found_label, 1)
        row.addWidget(self.refresh_button)
        list_layout.addLayout(row)

        # ---- network
        self.host_edit = limit_line(QLineEdit(), limits.PRINTER_URI)
        self.host_edit.setPlaceholderText("如 192.168.1.50")
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(DEFAULT_TCP_PORT)
        tcp_page = QWidget()
        tcp_form = QFormLayout(tcp_page)
        tcp_form.setContentsMargins(0, 0, 0, 0)
        self.host_label = buddy_label("IP 地址(&H)", self.host_edit)
        self.port_label = buddy_label("端口(&O)", self.port_spin)
        tcp_form.addRow(self.host_label, self.host_edit)
        tcp_form.addRow(self.port_label, self.port_spin)

        # ---- folder
        self.folder_edit = limit_line(QLineEdit(), limits.PRINTER_URI)
        self.folder_edit.setPlaceholderText("保存打印文件的文件夹")
        self.browse_button = QPushButton("选择…")
        folder_page = QWidget()
        folder_row = QHBoxLayout(folder_page)
        folder_row.setContentsMargins(0, 0, 0, 0)
        self.folder_label = buddy_label("文件夹(&D)", self.folder_edit)
        folder_row.addWidget(self.folder_label)
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)

        self.stack = QStackedWidget()
        self._pages = {"list": self.stack.addWidget(list_page), "tcp": self.stack.addWidget(tcp_page),
                       "folder": self.stack.addWidget(folder_page), "none": self.stack.addWidget(QWidget())}

        # ---- 高级: the address itself
        self.advanced_button = QToolButton()
        self.advanced_button.setText("高级")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.uri_field = CheckedField(_optional_uri, placeholder="打印机地址，如 tcp://192.168.1.50:9100", optional=True)
        limit_line(self.uri_field.edit, limits.A4_PRINTER_URI if kind == "a4" else limits.PRINTER_URI)
        self.uri_edit = self.uri_field.edit
        self.uri_field.setVisible(False)

        # ---- 打印测试页
        self.test_button = QPushButton("打印测试页(&T)")
        self.test_label = QLabel()
        self.test_label.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_label, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.way_label = buddy_label("连接方式(&C)", self.way_combo)
        top.addWidget(self.way_label)
        top.addWidget(self.way_combo)
        top.addStretch(1)
        top.addWidget(self.advanced_button)
        layout.addLayout(top)
        layout.addWidget(self.way_hint)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.uri_field)
        layout.addLayout(test_row)

        self.way_combo.currentIndexChanged.connect(lambda *_: self._way_changed())
        self.device_list.selectionModel().currentChanged.connect(lambda *_: self._compose())
        self.baud_combo.currentIndexChanged.connect(lambda *_: self._compose())
        self.host_edit.textChanged.connect(lambda *_: self._compose())
        self.port_spin.valueChanged.connect(lambda *_: self._compose())
        self.folder_edit.textChanged.connect(lambda *_: self._compose())
        self.browse_button.clicked.connect(self.browse_folder)
        self.refresh_button.clicked.connect(self.refresh)
        self.advanced_button.toggled.connect(self._show_advanced)
        self.uri_edit.textEdited.connect(self._typed)
        self.test_button.clicked.connect(self.print_test_page)
        self._way_changed()
        if discover:
            self.refresh()

    # ---- API
    def uri(self) -> str:
        """The chosen printer's address ('' when none is set)."""
        return self._uri

    def set_uri(self, uri: str) -> None:
        """Show ``uri`` as the choice (the way it is connected, the device in the list, the 高级 field)."""
        self._show(uri.strip(), rewrite_field=True)

    def way(self) -> str:
        """The chosen way of connecting (a key of ``THERMAL_WAYS`` / ``A4_WAYS``)."""
        return str(self.way_combo.currentData())

    def set_way(self, way: str) -> None:
        self.way_combo.setCurrentIndex(max(0, self.way_combo.findData(way)))

    def set_context(self, hall: HallDesk | None, actor: Actor | None, counter_number: int | None) -> None:
        self._hall, self._actor, self.counter_number = hall, actor, counter_number

    def set_profile_source(self, source: Callable[[], PrinterProfile]) -> None:
        self._profile_source = source

    def candidates(self) -> list[PrinterCandidate]:
        """The printers listed for the current way (for tests and the wizard)."""
        return self.model.rows()

    def choose(self, uri: str) -> bool:
        """Select the listed printer with this address."""
        row = self.model.row_of(uri)
        if row < 0:
            return False
        self.device_list.setCurrentIndex(self.model.index(row, 0))
        return True

    def test_text(self) -> str:
        return self.test_label.text()

    def set_keys(self, **keys: str) -> None:
        """Other Alt keys (``way``, ``refresh``, ``baud``, ``host``, ``port``, ``folder``, ``test``; '' for none),
        for a window holding two choosers or keys of its own."""
        widgets: dict[str, QLabel | QPushButton] = {"way": self.way_label, "refresh": self.refresh_button, "baud": self.baud_label,
                   "host": self.host_label, "port": self.port_label, "folder": self.folder_label,
                   "test": self.test_button}
        for name, key in keys.items():
            widget = widgets[name]
            text = widget.text().split("(&")[0]
            widget.setText(f"{text}(&{key})" if key else text)

    def show_problem(self, message: str) -> None:
        """A problem with the address (from a check or the service): 高级 opens on it, with the message."""
        self.advanced_button.setChecked(True)
        self.uri_field.show_problem(message)
        self.uri_edit.setFocus()

    # ---- discovery
    def refresh(self) -> Op[Any]:
        """Look for printers again, in the background."""
        self.refresh_button.setEnabled(False)
        self.found_label.setText("正在查找打印机…")
        if self.kind == "a4":
            return run_op(_system_printers, self._found_system, self._discovery_failed, owner=self, key="discover")
        return run_op(discovery.discover_thermal, self._found_thermal, self._discovery_failed, owner=self,
                      key="discover")

    def _found_thermal(self, found: Discovery) -> None:
        self._found = found
        self._discovery_done()

    def _found_system(self, names: list[str]) -> None:
        self._system = names
        self._discovery_done()

    def _discovery_failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.found_label.setText(f"查找打印机失败：{exc}")

    def _discovery_done(self) -> None:
        self.refresh_button.setEnabled(True)
        self._fill_list()
        self.discovered.emit()

    def _listed(self, way: str) -> list[PrinterCandidate]:
        if way == "system":
            return [PrinterCandidate("win32" if WINDOWS else "cups", system_uri(n), n) for n in self._system]
        return list(self._found.of(way))

    def _fill_list(self, keep: str | None = None) -> None:
        way = self.way()
        if way not in LISTED:
            return
        rows = self._listed(way)
        current = self._current
        if current is not None and self._current_way == way and all(c.uri != current.uri for c in rows):
            rows.insert(0, current)
        keep = self._uri if keep is None else keep
        was, self._syncing = self._syncing, True
        try:
            self.model.set_rows(rows)
            row = self.model.row_of(self._with_baud(keep) if way == "serial" else keep)
            if row < 0 and way == "serial":
                row = next((i for i, c in enumerate(rows) if _serial_device(c.uri) == _serial_device(keep)), -1)
            if row >= 0:
                self.device_list.setCurrentIndex(self.model.index(row, 0))
        finally:
            self._syncing = was
        notes = [n for n in self._found.notes if self._note_way(n) in (way, "")] if way != "system" else []
        if rows:
            self.found_label.setText(f"找到 {len(rows)} 台" + ("" if not notes else "；" + notes[0]))
        elif way == "system":
            self.found_label.setText("本机系统中没有打印机")
        else:
            self.found_label.setText(notes[0] if notes else "没有找到打印机")
        tint(self.found_label, "#5b6b7f")

    @staticmethod
    def _note_way(note: str) -> str:
        for way, word in (("cups", "CUPS"), ("usb", "USB"), ("serial", "串口"), ("win32", "Windows")):
            if word in note:
                return way
        return ""

    # ---- the way and its widgets
    def _way_changed(self, keep: str | None = None) -> None:
        way = self.way()
        page = "list" if way in LISTED else way
        self.stack.setCurrentIndex(self._pages[page])
        self.baud_label.setVisible(way == "serial")
        self.baud_combo.setVisible(way == "serial")
        self.way_hint.setText(_HINTS.get(way, ""))
        self.way_hint.setVisible(bool(_HINTS.get(way)))
        if way in LISTED:
            self._fill_list(keep)
        if not self._syncing:
            self._compose()

    def _with_baud(self, uri: str) -> str:
        device = _serial_device(uri)
        if device is None:
            return uri
        return f"serial://{device}?baudrate={self.baud_combo.currentData()}"

    def _compose(self) -> None:
        """The address the widgets describe now."""
        if self._syncing:
            return
        way = self.way()
        uri = ""
        if way in LISTED:
            chosen = self.model.row_at(self.device_list.currentIndex().row())
            uri = chosen.uri if chosen else ""
            if way == "serial" and uri:
                uri = self._with_baud(uri)
        elif way == "tcp":
            host = self.host_edit.text().strip()
            if host:
                host = f"[{host}]" if ":" in host and not host.startswith("[") else host
                uri = f"tcp://{host}:{self.port_spin.value()}"
        elif way == "folder":
            uri = folder_uri(self.folder_edit.text())
        self._set(uri, rewrite_field=True)

    def _set(self, uri: str, *, rewrite_field: bool) -> None:
        if rewrite_field and self.uri_field.text() != uri:
            self.uri_field.setText(uri)
        self._update_test_button()
        if uri != self._uri:
            self._uri = uri
            self.test_label.clear()
            self.changed.emit(uri)

    def _typed(self, text: str) -> None:
        """The address typed under 高级: the widgets follow it when it parses."""
        self._show(text.strip(), rewrite_field=False)

    def _show(self, uri: str, *, rewrite_field: bool) -> None:
        address: PrinterAddress | None = None
        if uri:
            try:
                address = parse_printer_uri(uri)
            except Exception:
                address = None
        self._syncing = True
        try:
            if address is None:
                if not uri:
                    self.set_way("none")
            else:
                self._show_address(uri, address)
        finally:
            self._syncing = False
        self._way_changed_quietly(uri)
        self._set(uri, rewrite_field=rewrite_field)

    def _show_address(self, uri: str, address: PrinterAddress) -> None:
        scheme = address.scheme
        if self.kind == "a4" and scheme in ("cups", "win32"):
            self.set_way("system")
            self._current, self._current_way = PrinterCandidate(scheme, uri, address.name or "", "当前设置"), "system"
        elif scheme in ("win32", "cups", "usb", "serial") and self.way_combo.findData(scheme) >= 0:
            self.set_way(scheme)
            if scheme == "serial":
                self.baud_combo.setCurrentIndex(max(0, self.baud_combo.findData(address.baudrate)))
            self._current = PrinterCandidate(scheme, self._serial_plain(uri) if scheme == "serial" else uri,
                                             address.describe(), "当前设置")
            self._current_way = scheme
        elif scheme == "tcp":
            self.set_way("tcp")
            self.host_edit.setText(address.host or "")
            self.port_spin.setValue(address.port or DEFAULT_TCP_PORT)
        elif scheme == "folder":
            self.set_way("folder")
            self.folder_edit.setText(address.path or "")
        # file:// (and anything else) has no widget: the 高级 field shows it

    @staticmethod
    def _serial_plain(uri: str) -> str:
        device = _serial_device(uri)
        return f"serial://{device}?baudrate=9600" if device else uri

    def _way_changed_quietly(self, keep: str) -> None:
        was, self._syncing = self._syncing, True
        try:
            self._way_changed(keep)
        finally:
            self._syncing = was

    def _show_advanced(self, shown: bool) -> None:
        self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.uri_field.setVisible(shown)

    def browse_folder(self) -> str:
        folder = QFileDialog.getExistingDirectory(self, "选择保存打印文件的文件夹", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(str(Path(folder)))
        return folder

    # ---- 打印测试页
    def _update_test_button(self) -> None:
        self.test_button.setEnabled(not self._testing and self.uri_field.is_valid())

    def print_test_page(self) -> bool:
        """Send a test page to the chosen printer now, in the background; the result shows beside the button."""
        uri = self.uri_field.text()
        if self._testing or not uri or self.uri_field.problem():
            return False
        kind, hall, actor, number = self.kind, self._hall, self._actor, self.counter_number
        profile = self._profile_source()

        def run() -> testpage.PrinterTestResult:
            return testpage.try_printer(hall.uow() if hall is not None else None, actor, uri, kind,
                                        counter_number=number, profile=profile)

        self._testing = True
        self._update_test_button()
        self.test_label.setText("正在打印测试页…")
        tint(self.test_label, "#5b6b7f")
        run_op(run, self._tested, self._test_failed, owner=self, key="test")
        return True

    def _tested(self, outcome: testpage.PrinterTestResult) -> None:
        self._test_result(outcome.ok, outcome.message)

    def _test_failed(self, exc: BaseException) -> None:
        self._test_result(False, getattr(exc, "message", None) or f"测试页打印失败：{exc}")

    def _test_result(self, ok: bool, text: str) -> None:
        self._testing = False
        self._update_test_button()
        self.test_label.setText(text)
        tint(self.test_label, "#1e7d45" if ok else "#c0392b")
        self.test_finished.emit(ok, text)


def _serial_device(uri: str) -> str | None:
    try:
        address = parse_printer_uri(uri)
    except Exception:
        return None
    return address.device if address.scheme == "serial" else None


def _system_printers() -> list[str]:
    """The system's printers (Qt asks CUPS or the Windows spooler)."""
    from PySide6.QtPrintSupport import QPrinterInfo

    return [str(name) for name in QPrinterInfo.availablePrinterNames()]
