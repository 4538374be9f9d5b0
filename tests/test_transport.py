"""Sending jobs to printer URIs, against a real TCP server standing in for the printer."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.errors import ValidationError
from app.printing.escpos import render_receipt
from app.printing.model import PrinterProfile, Receipt
from app.printing.transport import InvalidPrinterUri, PrinterAddress, PrinterError, parse_printer_uri, send
from tests.support.escpos_decode import decode
from tests.support.fake_printer import FakePrinter

pytestmark = pytest.mark.timeout(60)

RECEIPT = Receipt(
    title="受理回执",
    hall_name="某某区政务服务中心",
    case_no="HD20240612-0017",
    rows=(("申请人", "张**"), ("事项名称", "企业设立登记（有限责任公司）")),
    materials=tuple((f"材料{i}", "原件1份，已收取") for i in range(1, 11)),
    qr_payload="https://example.gov.cn/r/HD20240612-0017",
)


def _is_chinese(message: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in message)


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    with FakePrinter() as fake:
        yield fake
    assert fake.errors == [], fake.errors


@pytest.fixture(scope="module")
def raster_job() -> bytes:
    """A big job (a whole receipt as an image, several copies): more than socket buffers hold."""
    return render_receipt(RECEIPT, PrinterProfile(raster=True)) * 4


# ---------------------------------------------------------------------------------------------------------
# URIs


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("tcp://192.168.1.50:9100", PrinterAddress("tcp", host="192.168.1.50", port=9100)),
        ("tcp://192.168.1.50", PrinterAddress("tcp", host="192.168.1.50", port=9100)),
        ("TCP://printer-3.hall.local:9101/", PrinterAddress("tcp", host="printer-3.hall.local", port=9101)),
        ("tcp://[fe80::1]:9100", PrinterAddress("tcp", host="fe80::1", port=9100)),
        ("  tcp://10.0.0.7:9100  ", PrinterAddress("tcp", host="10.0.0.7", port=9100)),
        ("usb://0416:5011", PrinterAddress("usb", vid=0x0416, pid=0x5011)),
        ("usb://0x04B8:0x0E15", PrinterAddress("usb", vid=0x04B8, pid=0x0E15)),
        ("serial:///dev/ttyS0?baudrate=9600", PrinterAddress("serial", device="/dev/ttyS0", baudrate=9600)),
        ("serial:///dev/ttyUSB1?baudrate=115200", PrinterAddress("serial", device="/dev/ttyUSB1", baudrate=115200)),
        ("serial:///dev/ttyS1", PrinterAddress("serial", device="/dev/ttyS1", baudrate=9600)),
        ("serial://COM3?baudrate=19200", PrinterAddress("serial", device="COM3", baudrate=19200)),
        ("win32://%E6%94%B6%E4%BB%B6%E6%89%93%E5%8D%B0%E6%9C%BA", PrinterAddress("win32", name="收件打印机")),
        ("win32://收件打印机", PrinterAddress("win32", name="收件打印机")),
        ("win32://EPSON TM-T88V Receipt", PrinterAddress("win32", name="EPSON TM-T88V Receipt")),
        ("win32://\\\\server\\窗口3", PrinterAddress("win32", name="\\\\server\\窗口3")),
        ("cups://receipt80", PrinterAddress("cups", name="receipt80")),
        ("file:///tmp/out.bin", PrinterAddress("file", path="/tmp/out.bin")),
        ("file:///tmp/%E5%9B%9E%E6%89%A7.bin", PrinterAddress("file", path="/tmp/回执.bin")),
        ("file://localhost/dev/usb/lp0", PrinterAddress("file", path="/dev/usb/lp0")),
    ],
)
def test_parse_printer_uri(uri: str, expected: PrinterAddress) -> None:
    assert parse_printer_uri(uri) == expected


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "   ",
        "192.168.1.50:9100",
        "http://192.168.1.50",
        "lpt://1",
        "tcp://",
        "tcp://:9100",
        "tcp://192.168.1.50:0",
        "tcp://192.168.1.50:65536",
        "tcp://192.168.1.50:abc",
        "tcp://打印机:9100",
        "tcp://a b:9100",
        "tcp://user:pw@192.168.1.50:9100",
        "tcp://192.168.1.50:9100/queue",
        "tcp://192.168.1.50:9100?x=1",
        "tcp://[zz::1]:9100",
        "usb://",
        "usb://0416",
        "usb://0416:5011:1",
        "usb://xyz:5011",
        "usb://0000:5011",
        "usb://12345:5011",
        "serial://",
        "serial:///dev/ttyS0?baudrate=fast",
        "serial:///dev/ttyS0?baudrate=1234",
        "serial:///dev/ttyS0?parity=N",
        "serial://dev/ttyS0",
        "cups://my printer",
        "cups://a/b",
        "file://",
        "file://relative/path",
        "file:///tmp/a\x00b",
        "win32://bad\x07name",
    ],
)
def test_bad_uris_are_rejected_in_chinese(uri: str) -> None:
    with pytest.raises(PrinterError) as info:
        parse_printer_uri(uri)
    err = info.value
    assert isinstance(err, InvalidPrinterUri) and isinstance(err, ValidationError)
    assert err.field == "printer_uri" and err.kind == "invalid_uri"
    assert _is_chinese(err.message) and ("打印机地址" in err.message)


def test_send_rejects_a_bad_uri_before_doing_anything() -> None:
    with pytest.raises(ValidationError):
        send("bogus", b"x")


def test_timeout_must_be_positive(printer: FakePrinter) -> None:
    with pytest.raises(ValueError):
        send(printer.uri, b"x", timeout=0)


def test_describe_names_the_printer() -> None:
    assert parse_printer_uri("win32://收件打印机").describe() == "Windows 打印机“收件打印机”"
    assert "9100" in parse_printer_uri("tcp://10.0.0.7").describe()


# ---------------------------------------------------------------------------------------------------------
# TCP against the fake printer


def test_ok_job_arrives_exactly(printer: FakePrinter) -> None:
    data = render_receipt(RECEIPT, PrinterProfile())
    send(printer.uri, data)
    assert printer.wait_for_jobs(1) == [data]
    assert printer.records[0].status_queries == [4, 2]  # paper, then offline cause
    assert decode(printer.jobs[0]).qr_codes == [RECEIPT.qr_payload]


def test_big_job_arrives_exactly(printer: FakePrinter, raster_job: bytes) -> None:
    send(printer.uri, raster_job, status_check=False)
    assert printer.wait_for_jobs(1) == [raster_job]
    assert printer.records[0].status_queries == []


def test_jobs_in_a_row(printer: FakePrinter) -> None:
    jobs = [render_receipt(RECEIPT, PrinterProfile(paper_mm=58, cut=i % 2 == 0)) for i in range(5)]
    for job in jobs:
        send(printer.uri, job)
    assert printer.wait_for_jobs(5) == jobs


def test_silent_printer_is_assumed_ready(short_status_wait: None) -> None:
    with FakePrinter(silent=True) as fake:
        send(fake.uri, b"\x1b@hello\n")
        assert fake.wait_for_jobs(1) == [b"\x1b@hello\n"]
        assert fake.records[0].status_queries == [4]  # no second question when the first gets no answer


def test_paper_near_end_still_prints() -> None:
    with FakePrinter(paper_near_end=True) as fake:
        send(fake.uri, b"\x1b@x\n")
        assert fake.wait_for_jobs(1) == [b"\x1b@x\n"]


def test_refused(printer: FakePrinter) -> None:
    printer.mode = "refuse"
    with pytest.raises(PrinterError) as info:
        send(printer.uri, b"\x1b@x\n")
    assert info.value.kind == "refused" and "连接被拒绝" in info.value.message
    assert printer.connections == 0
    printer.mode = "ok"  # back on the same port
    send(printer.uri, b"\x1b@y\n")
    assert printer.wait_for_jobs(1) == [b"\x1b@y\n"]


@pytest.mark.parametrize("status_check", [True, False])
def test_stalled_printer_times_out(printer: FakePrinter, raster_job: bytes, status_check: bool) -> None:
    printer.mode = "stall"
    with pytest.raises(PrinterError) as info:
        send(printer.uri, raster_job, timeout=1.0, status_check=status_check)
    assert info.value.kind == "timeout" and "超时" in info.value.message


def test_connect_timeout() -> None:
    # A listener that never accepts, with its backlog full: the kernel drops further SYNs.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(4):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", port))
                fillers.append(s)
            with pytest.raises(PrinterError) as info:
                send(f"tcp://127.0.0.1:{port}", b"x", timeout=0.5)
        finally:
            for s in fillers:
                s.close()
    assert info.value.kind == "connect_timeout" and "连接打印机超时" in info.value.message


def test_hangup_mid_job(printer: FakePrinter, raster_job: bytes) -> None:
    printer.set_mode("hangup_after", hangup_after=4096)
    with pytest.raises(PrinterError) as info:
        send(printer.uri, raster_job, timeout=2.0)
    assert info.value.kind == "disconnected" and "连接断开" in info.value.message
    got = printer.wait_for_jobs(1)[0]
    assert len(got) == 4096 and raster_job.startswith(got)


def test_paper_out_sends_nothing(printer: FakePrinter, raster_job: bytes) -> None:
    printer.mode = "paper_out"
    with pytest.raises(PrinterError) as info:
        send(printer.uri, raster_job)
    assert info.value.kind == "paper_out" and "缺纸" in info.value.message
    assert printer.wait_for_jobs(1) == [b""]  # only the status query went out
    assert printer.records[0].status_queries == [4]


def test_paper_out_flag_and_recovery() -> None:
    with FakePrinter(paper_out=True) as fake:
        with pytest.raises(PrinterError, match="缺纸"):
            send(fake.uri, b"\x1b@x\n")
        fake.paper_out = False
        send(fake.uri, b"\x1b@x\n")
        assert fake.wait_for_jobs(2) == [b"", b"\x1b@x\n"]


def test_cover_open() -> None:
    with FakePrinter(cover_open=True) as fake:
        with pytest.raises(PrinterError) as info:
            send(fake.uri, b"\x1b@x\n")
        assert info.value.kind == "cover_open" and "盖未关好" in info.value.message
        assert fake.wait_for_jobs(1) == [b""]


def test_without_status_check_paper_out_is_not_asked(raster_job: bytes) -> None:
    with FakePrinter(paper_out=True) as fake:
        send(fake.uri, b"\x1b@x\n", status_check=False)
        assert fake.wait_for_jobs(1) == [b"\x1b@x\n"]


def test_unknown_host() -> None:
    with pytest.raises(PrinterError) as info:
        send("tcp://no-such-printer.invalid:9100", b"x", timeout=2.0)
    assert info.value.kind in ("unreachable", "connect_timeout") and _is_chinese(info.value.message)


def test_fake_printer_times_last_byte(printer: FakePrinter, raster_job: bytes) -> None:
    send(printer.uri, raster_job, status_check=False)
    printer.wait_for_jobs(1)
    job = printer.records[0]
    assert job.first_byte_at is not None and job.last_byte_at is not None
    assert job.connected_at <= job.first_byte_at <= job.last_byte_at
    assert job.ended_by == "client"


# ---------------------------------------------------------------------------------------------------------
# file:// and the python-escpos drivers


def test_file_appends(tmp_path: Path) -> None:
    target = tmp_path / "回执 输出.bin"
    uri = target.as_uri()
    send(uri, b"first")
    send(uri, b"second")
    assert target.read_bytes() == b"firstsecond"


def test_file_in_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(PrinterError) as info:
        send((tmp_path / "nope" / "out.bin").as_uri(), b"x")
    assert info.value.kind == "not_found" and _is_chinese(info.value.message)


def test_file_pointing_at_a_folder(tmp_path: Path) -> None:
    with pytest.raises(PrinterError) as info:
        send(tmp_path.as_uri() + "/", b"x")
    assert _is_chinese(info.value.message)


@pytest.mark.parametrize(
    "uri", ["usb://0416:5011", "serial:///dev/halldesk-no-such-tty?baudrate=9600", "win32://收件打印机", "cups://no-such-queue"]
)
def test_driver_printers_fail_as_printer_errors(uri: str) -> None:
    # Here the optional driver libraries (pyusb, pyserial, pywin32, pycups) are missing or find no device;
    # either way the clerk gets a PrinterError, not a crash.
    with pytest.raises(PrinterError) as info:
        send(uri, b"\x1b@x\n", timeout=1.0)
    assert info.value.kind in ("driver_missing", "not_found", "io") and _is_chinese(info.value.message)


def test_python_escpos_caches_its_capabilities_in_our_data_folder(tmp_path: Path) -> None:
    """python-escpos pickles its capability database into a new temporary folder on every import unless told
    where: the cache never hit (0.6 s per start).  Told, the second import reads the first one's pickle."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ESCPOS_CAPABILITIES_PICKLE_DIR"}
    env.update(HALLDESK_DATA_DIR=str(tmp_path), TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    script = "from app.printing.transport import escpos_cache; escpos_cache(); import escpos.printer"
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=Path(__file__).parent.parent)
    [pickle] = (tmp_path / "cache").glob("*.capabilities.pickle")
    written = pickle.stat().st_mtime_ns
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=Path(__file__).parent.parent)
    assert pickle.stat().st_mtime_ns == written  # read, not written again
    # python-escpos still makes an (empty) temporary folder per import: its default argument is evaluated
    # whether the setting is there or not.  Nothing is pickled into it.
    assert [list(folder.iterdir()) for folder in (tmp_path / "tmp").iterdir()] in ([[]], [[], []])
