"""build.spec's helpers (freeze/) and the entry point's frozen-program parts, without building anything."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import app.__main__ as entry
from freeze import icon
from freeze.prune import dropped, prune
from freeze.version_info import project_version, version_file_text, version_tuple, write_version_file

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("dest", [
    "PySide6/Qt/lib/libQt6Pdf.so.6", "PySide6/Qt6Pdf.dll",
    "PySide6/Qt/plugins/imageformats/libqpdf.so", "PySide6/plugins/imageformats/qpdf.dll",
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    "PySide6/plugins/platforminputcontexts/qtvirtualkeyboardplugin.dll",
    "PySide6/Qt/plugins/platforms/libqeglfs.so", "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6", "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/translations/qtbase_de.qm", "PySide6\\translations\\qt_ja.qm",
    "PIL/_avif.cpython-311-x86_64-linux-gnu.so", "pillow.libs/libavif-c6062d5f.so.16.4.2",
])
def test_left_out(dest: str) -> None:
    assert dropped(dest)


@pytest.mark.parametrize("dest", [
    "PySide6/Qt/lib/libQt6Core.so.6", "PySide6/Qt6Widgets.dll", "PySide6/Qt/lib/libQt6Quick.so.6",
    "PySide6/Qt/lib/libQt6Multimedia.so.6", "PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so",
    "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
    "PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
    "PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqwayland.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so", "PySide6/plugins/platforms/qwindows.dll",
    "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so", "PySide6/Qt/translations/qtbase_zh_CN.qm",
    "PySide6/translations/qt_zh_CN.qm", "PySide6/Qt/lib/libQt6Charts.so.6", "PySide6/Qt6Charts.dll",
    "PIL/_imaging.cpython-311-x86_64-linux-gnu.so", "resources/fonts/wqy-microhei.ttc",
])
def test_kept(dest: str) -> None:
    assert dropped(dest) is None


def test_prune_keeps_the_toc_shape() -> None:
    toc = [("PySide6/Qt/lib/libQt6Pdf.so.6", "/x/libQt6Pdf.so.6", "BINARY"),
           ("PySide6/Qt/lib/libQt6Core.so.6", "/x/libQt6Core.so.6", "BINARY")]
    assert prune(toc) == [toc[1]]


class _Recorded:
    """Stands in for PyInstaller's version-info classes (they need pefile, on Windows only)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {"class": self.name, "args": args, **kwargs}


def _evaluated(text: str) -> dict[str, Any]:
    names = ["VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct", "VarFileInfo",
             "VarStruct"]
    result: dict[str, Any] = eval(text, {name: _Recorded(name) for name in names})  # our own generated text
    return result


def test_version_resource_names_the_product_in_chinese_and_the_pyproject_version(tmp_path: Path) -> None:
    assert version_tuple("0.1.0") == (0, 1, 0, 0)
    assert version_tuple("2.10.3rc1") == (2, 10, 3, 0)
    path = write_version_file(tmp_path)
    info = _evaluated(path.read_text(encoding="utf-8"))
    fixed = info["ffi"]
    assert fixed["filevers"] == fixed["prodvers"] == version_tuple(project_version())
    table = info["kids"][0]["args"][0][0]
    assert table["args"][0] == "080404B0"
    strings = {s["args"][0]: s["args"][1] for s in table["args"][1]}
    assert strings["ProductName"] == "一窗通 HallDesk"
    assert strings["ProductVersion"] == strings["FileVersion"] == project_version()
    assert strings["OriginalFilename"] == "HallDesk.exe"
    assert info["kids"][1]["args"][0][0]["args"] == ("Translation", [0x0804, 1200])
    assert "'一窗通 HallDesk'" in version_file_text("9.9.9")


def test_the_committed_icon_is_the_drawn_one(tmp_path: Path) -> None:
    png, ico = icon.write(tmp_path)
    committed = ROOT / "resources" / "icons"
    with Image.open(committed / "halldesk.ico") as image:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(image.info["sizes"])
    with Image.open(png) as drawn, Image.open(committed / "halldesk.png") as kept:
        assert drawn.size == kept.size == (256, 256)
        assert drawn.getpixel((128, 8)) == kept.getpixel((128, 8)) == icon.BLUE  # the blue ground
        assert drawn.getpixel((0, 0))[3] == 0  # rounded corners are transparent
        assert len(kept.getcolors(maxcolors=1 << 16) or []) > 20  # the character and the ledge, anti-aliased
    assert ico.stat().st_size > 0


def test_no_streams_means_a_log_file_never_a_crash(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HALLDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    entry._attach_console(["roles"])
    assert sys.stdout is not None and sys.stderr is not None
    print("写到日志")
    sys.stdout.flush()
    assert "写到日志" in (tmp_path / "logs" / "console.log").read_text(encoding="utf-8")


def test_streams_that_exist_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", None)
    entry._attach_console([])
    assert sys.stdout is out and sys.stderr is not None


def test_version_without_stdout_or_stderr_exits_cleanly(tmp_path: Path) -> None:
    """A GUI-subsystem Windows program starts like this: fds 1 and 2 closed, sys.stdout None."""
    env = {**os.environ, "HALLDESK_DATA_DIR": str(tmp_path)}
    code = ("import os, sys; os.close(1); os.close(2); sys.stdout = sys.stderr = None; "
            "import app.__main__ as m; sys.exit(m.main(['--version']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc
    assert "HallDesk（一窗通）" in (tmp_path / "logs" / "console.log").read_text(encoding="utf-8")


def test_version_option(capsys: pytest.CaptureFixture[str]) -> None:
    import PySide6

    assert entry.main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"HallDesk（一窗通）{project_version()}"
    assert f"PySide6 {PySide6.__version__}" in out
