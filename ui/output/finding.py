"""Finding the case at the output window: the signed slip scanned (``HD1:…``), or the case number with the
6-digit pickup code typed; a forged or altered slip refused loudly; offline, the slip checked against this PC's
cached counter keys.  ``OutputPage`` takes these from ``PickupFinding`` (a mixin without Qt state of its own).
"""

from __future__ import annotations

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QPushButton, QWidget

from app import output
from app.auth import Actor
from app.context import HallDesk
from app.errors import Conflict, DatabaseUnavailable, ValidationError
from app.output import Issued, Pickup
from app.printing import desk
from app.slips import SlipError, SlipInfo
from ui.display import DisplayController
from ui.errors import show_error, warn
from ui.ops import run_op

SLIP_PREFIX = "HD1:"
_SCAN_NORMAL = ""
_SCAN_REJECTED = "QLineEdit { background: #fdecea; border: 2px solid #c0392b; }"


class PickupFinding:
    """The output page's finding; the page provides what is declared here."""

    _hall: HallDesk
    _actor: Actor
    _busy: bool
    _rejected: bool
    _credential: dict[str, str]
    _done: Issued | None
    offline_keys: HallDesk | None
    display: DisplayController | None
    scan_edit: QLineEdit
    case_no_edit: QLineEdit
    code_edit: QLineEdit
    issue_button: QPushButton
    result_note: QLabel
    status_message: SignalInstance

    def owner_widget(self) -> QWidget:
        """The page: the owner of the ops and the parent of the messages."""
        raise NotImplementedError

    def _set_busy(self, busy: bool) -> None:
        raise NotImplementedError

    def show_pickup(self, found: Pickup | None) -> None:
        raise NotImplementedError

    def scan_rejected(self) -> bool:
        """True while the scan field is red after a refused slip (until the next scan is typed)."""
        return self._rejected

    def _scan_typed(self) -> None:
        if self._rejected:
            self._rejected = False
            self.scan_edit.setStyleSheet(_SCAN_NORMAL)

    def _case_no_entered(self) -> None:
        # A slip scanned while the case-number field had the focus is still a slip.
        text = self.case_no_edit.text().strip()
        if text.upper().startswith(SLIP_PREFIX):
            self.case_no_edit.clear()
            self.scan_edit.setText(text)
            self.find_by_slip()
        elif text:
            self.code_edit.setFocus()
            self.code_edit.selectAll()

    def _find_clicked(self) -> None:
        if self.scan_edit.text().strip():
            self.find_by_slip()
        else:
            self.find_by_code()

    def find_by_slip(self) -> bool:
        payload = self.scan_edit.text().strip()
        if not payload or self._busy:
            return False
        return self._find({"slip": payload})

    def find_by_code(self) -> bool:
        case_no, code = self.case_no_edit.text().strip(), self.code_edit.text().strip()
        if self._busy:
            return False
        if not case_no:
            self.case_no_edit.setFocus()
            return False
        if not code:
            self.code_edit.setFocus()
            return False
        return self._find({"case_no": case_no, "pickup_code": code})

    def _find(self, credential: dict[str, str]) -> bool:
        hall, actor = self._hall, self._actor
        self._set_busy(True)
        self.result_note.setText("正在查找…")
        run_op(
            lambda: output.find_for_pickup(hall.uow(), actor, **credential),
            lambda found: self._found(credential, found),
            lambda exc: self._find_failed(credential, exc),
            owner=self.owner_widget(),
        )
        return True

    def _found(self, credential: dict[str, str], found: Pickup) -> None:
        self._set_busy(False)
        self._credential = credential
        self._done = None
        self.show_pickup(found)
        self.scan_edit.clear()
        self.code_edit.clear()
        if self.display is not None:
            self.display.serve(f"{found.case.item_name}（出件）")
        if found.ready:
            self.issue_button.setFocus()

    def _find_failed(self, credential: dict[str, str], exc: BaseException) -> None:
        self._set_busy(False)
        self.result_note.setText("")
        if isinstance(exc, SlipError):
            self.reject_slip(exc.message)
            return
        if isinstance(exc, DatabaseUnavailable) and "slip" in credential and self.offline_keys is not None:
            self._check_slip_offline(credential["slip"])
            return
        if "slip" in credential:
            self.scan_edit.clear()
            self.scan_edit.setFocus()
        if isinstance(exc, Conflict) and "锁定" in exc.message:
            warn(
                self.owner_widget(),
                exc.message + "\n\n请申请人持身份证件到主管处核实，由主管在“督查”页面解锁取件码。",
                "办件已锁定",
            )
            self.code_edit.clear()
            return
        show_error(self.owner_widget(), exc)
        if isinstance(exc, ValidationError):
            target = self.code_edit if exc.field == "pickup_code" else self.case_no_edit
            target.setFocus()
            target.selectAll()

    def _check_slip_offline(self, payload: str) -> None:
        """Offline: the slip's signature against this PC's cached keys; the hand-over waits for the network."""
        keys = self.offline_keys
        assert keys is not None
        self._set_busy(True)

        def checked(info: SlipInfo) -> None:
            self._set_busy(False)
            self.scan_edit.clear()
            self.result_note.setText(f"离线核验：凭条真实（{info.case_no}）")
            warn(
                self.owner_widget(),
                f"共享数据库暂时无法连接。\n\n凭条已用本机缓存的窗口公钥离线核验：真实有效，办件编号 {info.case_no}。"
                "\n出件须在网络恢复后办理（需核对审批结果），请申请人稍候或另约时间。",
                "离线核验凭条",
            )

        def failed(exc: BaseException) -> None:
            self._set_busy(False)
            if isinstance(exc, SlipError):
                self.reject_slip(exc.message)
            else:
                show_error(self.owner_widget(), exc)

        run_op(lambda: desk.verify_slip(keys.uow(), payload), checked, failed, owner=self.owner_widget())

    def reject_slip(self, message: str) -> None:
        """A forged or altered slip: refused loudly, the field red and empty for the next scan."""
        self._rejected = True
        self.scan_edit.setStyleSheet(_SCAN_REJECTED)
        self.scan_edit.clear()
        self.scan_edit.setFocus()
        self.show_pickup(None)
        self.status_message.emit(f"取件凭条无效：{message}")
        QMessageBox.critical(
            self.owner_widget(),
            "取件凭条无效",
            f"{message}\n\n该凭条已被拒绝并记录。请核实申请人身份，按办件编号和取件码办理。",
        )

