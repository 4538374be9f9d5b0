"""The set-up wizard's pages: 工作方式, 数据库, 本机窗口, 打印机, 登记, 完成 (see ``ui.setup.wizard``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWizardPage,
)

from app import credentials, diagnosis, installation, limits, station_setup
from app.accounts import CounterView
from app.errors import HallDeskError, ValidationError
from app.installation import BACKOFFICE, COUNTER, KINDS, MODE_HELP, MODES, STANDALONE, Server
from app.printing.transport import PrinterError, parse_printer_uri
from ui.errors import show_error
from ui.ops import run_op
from ui.printing.chooser import PrinterChooser
from ui.widgets import buddy_label, error_label, hint_label, limit_line, set_error, tint

if TYPE_CHECKING:
    from app.context import HallDesk
    from app.installation import Station


class SetupWizard(Protocol):
    """What the pages share through the wizard (``ui.setup.wizard.SetupWizard``): what was chosen so far."""

    mode: str
    server: Server | None
    password: str | None
    counter: int | None
    thermal: str
    a4: str
    has_admin: bool
    hall: HallDesk | None
    registration: station_setup.Registration | None
    saved: tuple[Any, Any] | None

    def url(self) -> str: ...

    def station(self) -> Station: ...

    def open_hall(self, url: str, *, create: bool) -> tuple[list[CounterView], bool]: ...

    def accept(self) -> None: ...

MODE_PAGE, DATABASE_PAGE, COUNTER_PAGE, PRINTERS_PAGE, REGISTER_PAGE, DONE_PAGE = range(6)


class _Page(QWizardPage):
    def __init__(self, wizard: SetupWizard, title: str, subtitle: str) -> None:
        super().__init__()
        self.setup = wizard
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.error = error_label()

    def failed(self, exc: BaseException) -> None:
        """An expected error goes to the page's red line; a bug to the crash dialog."""
        if isinstance(exc, ValidationError):
            set_error(self.error, "\n".join(m for _, m in exc.problems))
        elif isinstance(exc, HallDeskError):
            set_error(self.error, exc.message)
        else:
            show_error(self, exc)


class ModePage(_Page):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard, "工作方式", "本机在大厅中做什么？")
        layout = QVBoxLayout(self)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for number, (mode, name) in enumerate(MODES.items()):
            button = QRadioButton(f"{name}(&{number + 1})")
            self.buttons[mode] = button
            self.group.addButton(button, number)
            layout.addWidget(button)
            layout.addWidget(hint_label(MODE_HELP[mode]))
        layout.addStretch(1)
        self.group.buttonToggled.connect(lambda *_: self.completeChanged.emit())

    def initializePage(self) -> None:
        self.buttons[self.setup.mode].setChecked(True)

    def mode(self) -> str:
        return next((m for m, b in self.buttons.items() if b.isChecked()), STANDALONE)

    def isComplete(self) -> bool:
        return any(b.isChecked() for b in self.buttons.values())

    def validatePage(self) -> bool:
        self.setup.mode = self.mode()
        return True

    def nextId(self) -> int:
        return COUNTER_PAGE if self.mode() == STANDALONE else DATABASE_PAGE


class DatabasePage(_Page):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard, "数据库", "大厅的数据库服务器：填写后点“测试连接”")
        self.kind = QComboBox()
        for kind, (label, _port, _driver) in KINDS.items():
            self.kind.addItem(label, kind)
        self.host = limit_line(QLineEdit(), limits.DB_HOST)
        self.host.setPlaceholderText("例如 192.168.1.10 或 db.hall.local")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.database = limit_line(QLineEdit("halldesk"), limits.DB_NAME)
        self.user = limit_line(QLineEdit("halldesk_app"), limits.DB_USER)
        self.password = limit_line(QLineEdit(), limits.DB_PASSWORD)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.test_button = QPushButton("测试连接(&T)")
        self.create_button = QPushButton("创建数据表(&C)")
        self.create_button.hide()
        self.result = hint_label()
        self.result.setObjectName("diagnosis")
        form = QFormLayout()
        form.addRow(buddy_label("数据库类型(&K)", self.kind), self.kind)
        form.addRow(buddy_label("服务器地址(&H)", self.host), self.host)
        form.addRow(buddy_label("端口(&P)", self.port), self.port)
        form.addRow(buddy_label("数据库名(&D)", self.database), self.database)
        form.addRow(buddy_label("用户名(&U)", self.user), self.user)
        form.addRow(buddy_label("密码(&W)", self.password), self.password)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.create_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self._tested: tuple[Any, ...] | None = None  # the fields the last ok diagnosis was for
        self.kind.currentIndexChanged.connect(self._kind_changed)
        for edit in (self.host, self.database, self.user, self.password):
            edit.textChanged.connect(self._changed)
        self.port.valueChanged.connect(self._changed)
        self.test_button.clicked.connect(self.test)
        self.create_button.clicked.connect(self.create_schema)
        self._kind_changed()

    def initializePage(self) -> None:
        server = self.setup.server
        if server is not None and not self.host.text():
            self.kind.setCurrentIndex(max(0, self.kind.findData(server.kind)))
            self.host.setText(server.host)
            self.port.setValue(server.port)
            self.database.setText(server.database)
            self.user.setText(server.user)
            if self.setup.password is not None:
                self.password.setText(self.setup.password)
            else:  # set up before: the password kept on this PC, so that 测试连接 works as is
                run_op(lambda: credentials.fetch(server), self._kept_password, self.failed, owner=self,
                       key="password")

    def _kept_password(self, password: str | None) -> None:
        if password and not self.password.text():
            self.password.setText(password)

    def _kind_changed(self) -> None:
        self.port.setValue(KINDS[str(self.kind.currentData())][1])
        self._changed()

    def _changed(self) -> None:
        if self._tested is not None:
            self._tested = None
            self.completeChanged.emit()
        self.create_button.hide()

    def _fields(self) -> tuple[Any, ...]:
        return (str(self.kind.currentData()), self.host.text().strip(), self.port.value(),
                self.database.text().strip(), self.user.text().strip(), self.password.text())

    def server(self) -> Server:
        kind, host, port, database, user, _password = self._fields()
        return Server(kind, host, port, database, user)

    def _check(self) -> Server | None:
        kind, host, port, database, user, _password = self._fields()
        problems = installation.server_problems(kind, host, port, database, user, prefix="")
        set_error(self.error, "\n".join(m for _, m in problems))
        return None if problems else self.server()

    def test(self) -> None:
        server = self._check()
        if server is None:
            return
        fields, url = self._fields(), server.url(self.password.text())
        self.result.setText("正在测试连接…")
        run_op(lambda: diagnosis.diagnose(url), lambda found: self._diagnosed(fields, found), self.failed,
               owner=self, key="test", disable=[self.test_button, self.create_button])

    def create_schema(self) -> None:
        server = self._check()
        if server is None:
            return
        fields, url = self._fields(), server.url(self.password.text())
        self.result.setText("正在创建数据表…")
        run_op(lambda: diagnosis.create_schema(url), lambda found: self._diagnosed(fields, found), self.failed,
               owner=self, key="test", disable=[self.test_button, self.create_button])

    def _diagnosed(self, fields: tuple[Any, ...], found: diagnosis.Diagnosis) -> None:
        self.result.setText(found.message)
        tint(self.result, "#1e7d45" if found.ok else "#b36b00" if found.can_create_schema else "#c0392b")
        self.create_button.setVisible(found.can_create_schema and fields == self._fields())
        if found.ok and fields == self._fields():
            self._tested = fields
            self.completeChanged.emit()

    def diagnosis_text(self) -> str:
        return self.result.text()

    def isComplete(self) -> bool:
        return self._tested is not None and self._tested == self._fields()

    def validatePage(self) -> bool:
        self.setup.server = self.server()
        self.setup.password = self.password.text()
        return True

    def nextId(self) -> int:
        return DONE_PAGE if self.setup.mode == BACKOFFICE else COUNTER_PAGE


NEW_COUNTER = -1
NO_COUNTER = 0


class CounterPage(_Page):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard, "本机窗口", "本机是哪个窗口？窗口受理时用本机的签名密钥签发回执上的二维码")
        self.counter = QComboBox()
        self.new_number = QSpinBox()
        self.new_number.setRange(1, installation.MAX_COUNTER)
        self.new_number.setEnabled(False)
        self.state = hint_label("正在读取窗口…")
        form = QFormLayout()
        form.addRow(buddy_label("窗口(&N)", self.counter), self.counter)
        form.addRow(buddy_label("新窗口号(&M)", self.new_number), self.new_number)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.state)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.counters: list[CounterView] = []
        self._loaded = False
        self.counter.currentIndexChanged.connect(self._picked)

    def initializePage(self) -> None:
        self._loaded = False
        self.completeChanged.emit()
        set_error(self.error, "")
        self.state.setText("正在读取窗口…")
        url = self.setup.url()
        standalone = self.setup.mode == STANDALONE
        run_op(lambda: self.setup.open_hall(url, create=standalone), self._opened, self.failed, owner=self,
               key="counters")

    def _opened(self, found: tuple[list[CounterView], bool]) -> None:
        self.counters, self.setup.has_admin = found
        self.counter.blockSignals(True)
        self.counter.clear()
        for c in self.counters:
            self.counter.addItem(f"{c.number}号窗口 {c.name}", c.number)
        self.counter.addItem("新建窗口…", NEW_COUNTER)
        if self.setup.mode == STANDALONE:
            self.counter.addItem("本机不是窗口（后台电脑）", NO_COUNTER)
        chosen = self.counter.findData(self.setup.counter) if self.setup.counter else -1
        self.counter.setCurrentIndex(max(0, chosen))
        self.counter.blockSignals(False)
        self._picked()
        self.state.setText(f"数据库中有 {len(self.counters)} 个窗口。" if self.counters
                           else "数据库中还没有窗口：请新建本机的窗口。")
        self._loaded = True
        self.completeChanged.emit()

    def _picked(self) -> None:
        self.new_number.setEnabled(self.counter.currentData() == NEW_COUNTER)
        if self.counter.currentData() == NEW_COUNTER:
            taken = {c.number for c in self.counters}
            self.new_number.setValue(next(n for n in range(1, installation.MAX_COUNTER + 1) if n not in taken))

    def number(self) -> int | None:
        data = self.counter.currentData()
        if data == NEW_COUNTER:
            return int(self.new_number.value())
        return int(data) if data else None

    def isComplete(self) -> bool:
        return self._loaded

    def validatePage(self) -> bool:
        number = self.number()
        if self.counter.currentData() == NEW_COUNTER and number in {c.number for c in self.counters}:
            set_error(self.error, f"{number}号窗口已存在：请在上面选择它")
            return False
        self.setup.counter = number
        view = next((c for c in self.counters if c.number == number), None)
        self.setup.thermal = view.printer_uri if view else ""
        self.setup.a4 = view.a4_printer_uri if view else ""
        return True

    def nextId(self) -> int:
        return PRINTERS_PAGE if self.number() is not None else DONE_PAGE


class PrintersPage(_Page):
    """The counter's receipt (thermal) and A4 printers, picked from what this PC has (``PrinterChooser``)."""

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard, "打印机", "本窗口的热敏打印机（回执、凭条）和 A4 打印机（告知书）；可以先打印测试页")
        self.thermal = PrinterChooser("thermal", self, discover=False)
        self.a4 = PrinterChooser("a4", self, discover=False)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("热敏打印机（回执、凭条）"))
        layout.addWidget(self.thermal, 1)
        layout.addWidget(QLabel("A4 打印机（告知书）"))
        layout.addWidget(self.a4, 1)
        layout.addWidget(hint_label("可以不设置，以后在“打印机设置”中再选。"))
        layout.addWidget(self.error)
        self._searched = False

    def initializePage(self) -> None:
        set_error(self.error, "")
        for chooser, uri in ((self.thermal, self.setup.thermal), (self.a4, self.setup.a4)):
            chooser.set_context(self.setup.hall, None, self.setup.counter)  # no one has logged in yet
            chooser.set_uri(uri)
            if not self._searched:
                chooser.refresh()  # look for this PC's printers (in the background)
        self._searched = True

    def validatePage(self) -> bool:
        problems = []
        for what, chooser in (("热敏打印机", self.thermal), ("A4 打印机", self.a4)):
            uri = chooser.uri().strip()
            typed = chooser.uri_field.problem()  # an address typed under 高级 that is not one
            if typed:
                problems.append(f"{what}：{typed}")
            elif uri:
                try:
                    parse_printer_uri(uri)
                except PrinterError as exc:
                    problems.append(f"{what}：{exc.message}")
        set_error(self.error, "\n".join(problems))
        if problems:
            return False
        self.setup.thermal, self.setup.a4 = self.thermal.uri().strip(), self.a4.uri().strip()
        return True


class RegisterPage(_Page):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard, "登记", "由管理员登录：生成本窗口的签名密钥并登记到数据库，保存打印机")
        self.username = limit_line(QLineEdit(), limits.USERNAME)
        self.password = limit_line(QLineEdit(), limits.PASSWORD)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = limit_line(QLineEdit(), limits.PASSWORD)
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat_label = buddy_label("再次输入密码(&R)", self.repeat)
        self.full_name = limit_line(QLineEdit(), limits.FULL_NAME)
        self.full_name_label = buddy_label("管理员姓名(&F)", self.full_name)
        self.first_admin = hint_label("数据库中还没有管理员：将以上述用户名和密码创建首个管理员（密码至少8位，含字母和数字）。")
        self.register_button = QPushButton("登记(&G)")
        self.result = hint_label()
        self.result.setObjectName("registration")
        form = QFormLayout()
        form.addRow(buddy_label("管理员用户名(&U)", self.username), self.username)
        form.addRow(buddy_label("密码(&W)", self.password), self.password)
        form.addRow(self.repeat_label, self.repeat)
        form.addRow(self.full_name_label, self.full_name)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.first_admin)
        layout.addWidget(self.register_button)
        layout.addWidget(self.result)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.register_button.clicked.connect(self.register)
        self.done: station_setup.Registration | None = None

    def initializePage(self) -> None:
        first = not self.setup.has_admin
        for widget in (self.full_name, self.full_name_label, self.repeat, self.repeat_label, self.first_admin):
            widget.setVisible(first)
        set_error(self.error, "")

    def register(self) -> None:
        set_error(self.error, "")
        if not self.username.text().strip() or not self.password.text():
            set_error(self.error, "请输入管理员的用户名和密码")
            return
        if not self.setup.has_admin and self.repeat.text() != self.password.text():
            set_error(self.error, "两次输入的密码不一致")
            return
        if not self.setup.has_admin and not self.full_name.text().strip():
            set_error(self.error, "请输入首个管理员的姓名")
            return
        admin = station_setup.Admin(self.username.text().strip(), self.password.text(),
                                    self.full_name.text().strip() or None)
        hall, number, thermal, a4 = self.setup.hall, self.setup.counter, self.setup.thermal, self.setup.a4
        assert hall is not None
        self.result.setText("正在登记…")
        run_op(lambda: station_setup.register(hall, admin, number, thermal, a4), self._registered, self._failed,
               owner=self, key="register", disable=[self.register_button])

    def _failed(self, exc: BaseException) -> None:
        self.result.setText("")
        self.failed(exc)

    def _registered(self, done: station_setup.Registration) -> None:
        self.done = done
        self.setup.registration = done
        self.setup.has_admin = True
        self.password.clear()
        self.repeat.clear()
        lines = [f"{done.counter}号窗口的签名密钥" + ("已生成并登记" if done.key_made else "本机已有且已登记，沿用")
                 + f"：指纹 {done.fingerprint}"]
        if done.first_admin:
            lines.insert(0, f"已创建首个管理员 {done.first_admin}")
        if done.catalog_items:
            lines.append(f"新数据库已装入默认事项目录（{done.catalog_items} 项）")
        if done.printers:
            lines.append(f"打印机已保存：热敏 {done.printers['thermal'] or '（未设置）'}，A4 {done.printers['a4'] or '（未设置）'}")
        self.result.setText("\n".join(lines))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.done is not None


class DonePage(_Page):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard, "完成", "点“完成”保存本机设置")
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.kept = hint_label()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.kept)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.saved = False

    def initializePage(self) -> None:
        st = self.setup.station()
        lines = [f"工作方式：{st.mode_name}"]
        lines.append(f"数据库：{st.server.label}" if st.server else f"数据库：本机内置数据库（{installation.embedded_path()}）")
        lines.append(f"本机窗口：{st.counter}号窗口" if st.counter else "本机不是窗口")
        if st.mode == COUNTER:
            lines.append("窗口电脑在本机窗口库中受理，断网时也能受理，联网后自动同步。")
        self.summary.setText("\n".join(lines))
        self.kept.setText("")
        if st.server is not None and self.setup.password:
            run_op(credentials.where, lambda kept: self.kept.setText(kept.message), self.failed, owner=self,
                   key="where")

    def validatePage(self) -> bool:
        if self.saved:
            return True
        station, password = self.setup.station(), self.setup.password
        run_op(lambda: station_setup.save(station, password), self._saved, self.failed, owner=self, key="save")
        return False

    def _saved(self, result: tuple[Any, credentials.Kept | None]) -> None:
        self.saved = True
        self.setup.saved = result
        self.setup.accept()
