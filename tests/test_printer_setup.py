"""Printers out of the box (issue 17): the folder printer, the demo printing into it, 打印测试页 and its CLI."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app import accounts, demo, intake
from app.context import HallDesk
from app.errors import PermissionDenied, ValidationError
from app.printing import queue, testpage
from app.printing.folder import folder_job_path, folder_uri
from app.printing.model import PrinterProfile
from app.printing.transport import PrinterError, parse_printer_uri, send
from cli.main import run
from db.models import AuditEvent
from tests.conftest import log_in
from tests.intake_support import all_received, item_with_tolerable, request
from tests.support.escpos_decode import decode
from tests.support.fake_printer import FakePrinter
from ui.printing.queue import printer_trouble  # a plain function: which waiting job raises the alarm


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    with FakePrinter() as p:
        yield p


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- the folder printer ----------------------------------------------------------------------------------


def test_folder_addresses() -> None:
    assert parse_printer_uri("folder:///srv/打印输出/窗口1/").path == "/srv/打印输出/窗口1"
    assert parse_printer_uri("folder:///C:/HallDesk/%E6%89%93%E5%8D%B0").path == "C:/HallDesk/打印"
    assert parse_printer_uri("folder:///C:/").path == "C:/"
    assert parse_printer_uri(folder_uri("C:\\Users\\窗口\\打印输出")).path == "C:/Users/窗口/打印输出"
    assert parse_printer_uri(folder_uri("/tmp/100%")).path == "/tmp/100%"
    assert parse_printer_uri("folder:///srv/x").describe() == "文件夹 /srv/x"
    for bad in ("folder://", "folder://relative", "folder:///"):
        with pytest.raises(PrinterError) as info:
            parse_printer_uri(bad)
        assert info.value.kind == "invalid_uri"


def test_each_job_is_a_new_file_never_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "打印输出" / "窗口1"  # made when missing
    uri = folder_uri(folder)
    data = [f"\x1b@第{i}张\n".encode("gb18030") for i in range(5)]
    for job in data:
        send(uri, job, job_name="受理回执-1234")
    files = sorted(folder.iterdir())
    assert len(files) == 5 and all(f.suffix == ".bin" and "受理回执-1234" in f.name for f in files)
    assert sorted(f.read_bytes() for f in files) == sorted(data)
    assert not list(folder.glob("*.part"))
    # Two jobs in the same microsecond under the same name: the second gets its own file.
    now = datetime(2026, 12, 7, 9, 30, 0, 123456)
    first = folder_job_path(folder, "x/y:z", ".bin", now)
    assert first.name == "20261207-093000-123456-x_y_z.bin"
    first.write_bytes(b"1")
    assert folder_job_path(folder, "x/y:z", ".bin", now).name == "20261207-093000-123456-x_y_z-2.bin"


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_folder_that_cannot_be_written(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(PrinterError) as info:
            send(folder_uri(locked), b"x")
        assert "没有权限" in info.value.message
    finally:
        locked.chmod(0o700)


def test_test_page_to_a_network_printer_and_a_closed_port(printer: FakePrinter) -> None:
    outcome = testpage.send_test_page(printer.uri, hall_name="新建经开区政务服务中心", counter_number=2,
                                      profile=PrinterProfile(status_check=False))
    assert outcome.ok and "测试页已发送" in outcome.message
    page = decode(printer.wait_for_jobs(1)[0])
    for text in ("新建经开区政务服务中心", "打印测试页", "2号窗口", f"网络打印机 127.0.0.1:{printer.port}", "𠮷", "《》"):
        assert text in page.text
    assert page.qr_codes == ["HALLDESK-TEST"]
    gbk = testpage.build_test_receipt(PrinterProfile(encoding="GBK"), "大厅", 1, printer.uri)
    assert not any("𠮷" in note for note in gbk.notes)  # GBK has no extension B

    outcome = testpage.send_test_page(f"tcp://127.0.0.1:{closed_port()}", counter_number=2)
    assert not outcome.ok and outcome.message.startswith("测试页打印失败：无法连接打印机（连接被拒绝）")


# ---- the demo prints into folders, end to end ------------------------------------------------------------


def test_demo_counters_print_into_folders(hall: HallDesk, tmp_path: Path) -> None:
    where = demo.demo_printers(hall.uow(), tmp_path)
    assert where == str(tmp_path / "打印输出")
    counters = {c.number: c for c in accounts.list_counters(hall.uow())}
    for number, _name, _kind in demo.DEMO_COUNTERS:
        uri = counters[number].printer_uri
        assert uri == counters[number].a4_printer_uri == folder_uri(tmp_path / "打印输出" / f"窗口{number}")
    assert demo.demo_printers(hall.uow(), tmp_path) == ""  # set once; an admin's printers are never replaced

    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    view = intake.take_application(hall.uow(), clerk, request(item, materials=all_received(item)))
    jobs = queue.send_case_jobs(hall.uow, view.case_no)
    assert {j.kind: j.status for j in jobs} == {"receipt": "printed", "notice": "printed"}
    assert printer_trouble(queue.list_jobs(hall.uow(), status="pending", counter_number=1)) == ""  # no alarm
    folder = tmp_path / "打印输出" / "窗口1"
    [receipt] = folder.glob("*.bin")
    [notice] = folder.glob("*.pdf")
    slip = decode(receipt.read_bytes())
    assert view.case_no in slip.text and slip.qr_codes == [view.slip]
    assert view.case_no in "".join(p.extract_text() for p in PdfReader(notice).pages)
    assert queue.counter_folders(hall.uow(), 1) == [str(folder)]


# ---- 打印测试页 for a counter, and its CLI -----------------------------------------------------------------


def test_counter_test_page_service(hall: HallDesk, printer: FakePrinter, tmp_path: Path) -> None:
    clerk, admin = log_in(hall, "clerk1"), log_in(hall, "admin")
    with pytest.raises(ValidationError, match="还没有设置回执打印机"):
        testpage.print_counter_test_page(hall.uow(), clerk, 1)
    with pytest.raises(PermissionDenied, match="只能测试本窗口的打印机"):
        testpage.print_counter_test_page(hall.uow(), clerk, 2, uri=printer.uri)
    accounts.set_counter_printers(hall.uow(), admin, 2, printer.uri, folder_uri(tmp_path / "a4"))
    outcome = testpage.print_counter_test_page(hall.uow(), admin, 2)
    assert outcome.ok and "2号窗口" in decode(printer.wait_for_jobs(1)[0]).text
    outcome = testpage.print_counter_test_page(hall.uow(), admin, 2, a4=True)
    assert outcome.ok and str(tmp_path / "a4") in outcome.message
    [pdf] = (tmp_path / "a4").glob("*.pdf")
    assert "A4 打印测试页" in "".join(p.extract_text() for p in PdfReader(pdf).pages)
    with hall.uow() as uow:
        tests = list(uow.session.execute(select(AuditEvent).where(AuditEvent.action == "printer.test")).scalars())
    assert sorted(json.loads(t.payload)["a4"] for t in tests) == [False, True]


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_cli_printer_test(hall: HallDesk, printer: FakePrinter, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    from app.demo import DEMO_PASSWORD

    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    clerk = log_in(hall, "clerk1")
    base = ["--db", hall.url, "--user", "clerk1"]
    code = run([*base, "printer", "test", "--counter", "1", "--printer", printer.uri, "--json"], hall=hall, actor=clerk)
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["ok"] is True and "测试页已发送" in err
    assert "打印测试页" in decode(printer.wait_for_jobs(1)[0]).text
    code = run([*base, "printer", "test", "--counter", "1", "--printer", f"tcp://127.0.0.1:{closed_port()}"],
               hall=hall, actor=clerk)
    _out, err = capsys.readouterr()
    assert code == 9 and "连接被拒绝" in err
    code = run([*base, "printer", "test", "--counter", "1"], hall=hall, actor=clerk)
    _out, err = capsys.readouterr()
    assert code != 0 and "还没有设置回执打印机" in err


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_demo_command_says_where_it_prints(empty_db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["--db", empty_db_url, "demo"])
    _out, err = capsys.readouterr()
    assert code == 0 and "演示窗口的打印机是文件夹" in err and str(demo.demo_print_folder(1).parent) in err
    hall = HallDesk.open(empty_db_url)
    try:
        counter = next(c for c in accounts.list_counters(hall.uow()) if c.number == 1)
    finally:
        hall.close()
    assert counter.printer_uri == folder_uri(demo.demo_print_folder(1))


# ---- A4 on a Windows printer: the pages through GDI (pywin32 stood in for) ---------------------------------


class FakeDC:
    def __init__(self, calls: list[tuple[object, ...]]) -> None:
        self.calls = calls

    def CreatePrinterDC(self, name: str) -> None:
        if name == "nope":
            raise RuntimeError("打印机名称无效")
        self.calls.append(("printer", name))

    def GetDeviceCaps(self, index: int) -> int:
        return {88: 600, 8: 4760, 10: 6779}[index]  # 600 dpi, A4's printable area

    def StartDoc(self, title: str) -> None:
        self.calls.append(("doc", title))

    def StartPage(self) -> None:
        self.calls.append(("page",))

    def GetHandleOutput(self) -> int:
        return 1

    def EndPage(self) -> None:
        self.calls.append(("end page",))

    def EndDoc(self) -> None:
        self.calls.append(("end doc",))

    def DeleteDC(self) -> None:
        self.calls.append(("deleted",))


def test_a4_pages_through_a_windows_printer(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from PIL import ImageWin

    from app.printing import winprint

    assert winprint.page_box((1240, 1754), (4760, 6779)) == (0, 23, 4760, 6756)  # fits whole, centred
    calls: list[tuple[object, ...]] = []
    drawn: list[tuple[tuple[int, int], tuple[int, int, int, int]]] = []

    class Dib:
        def __init__(self, image: object) -> None:
            self.size = image.size  # type: ignore[attr-defined]

        def draw(self, handle: int, box: tuple[int, int, int, int]) -> None:
            drawn.append((self.size, box))

    monkeypatch.setattr(ImageWin, "Dib", Dib)
    win32print = SimpleNamespace(GetDefaultPrinter=lambda: "默认打印机")
    win32ui = SimpleNamespace(CreateDC=lambda: FakeDC(calls))
    pdf = testpage.build_test_pdf("大厅", 1, "win32://HP")
    winprint.print_pdf("HP LaserJet", pdf, "测试页", modules=(win32print, win32ui))
    assert calls == [("printer", "HP LaserJet"), ("doc", "测试页"), ("page",), ("end page",), ("end doc",),
                     ("deleted",)]
    [(size, box)] = drawn
    assert abs(size[0] - 2480) <= 1 and abs(size[1] - 3508) <= 1 and box == winprint.page_box(size, (4760, 6779))  # 300 dpi, scaled to the page
    winprint.print_pdf("", pdf, "测试页", modules=(win32print, win32ui))
    assert ("printer", "默认打印机") in calls
    with pytest.raises(PrinterError) as info:
        winprint.print_pdf("nope", pdf, "测试页", modules=(win32print, win32ui))
    assert info.value.kind == "not_found" and "nope" in info.value.message
    if os.name != "nt":
        with pytest.raises(PrinterError) as info:
            queue.send_pdf("win32://HP", pdf, "测试页")  # no pywin32 here: said in Chinese
        assert info.value.kind == "driver_missing" and "pywin32" in info.value.message
