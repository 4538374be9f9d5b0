"""build.spec's helpers (freeze/) and the entry point's frozen-program parts, without building anything."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import PySide6
import pytest
from PIL import Image

import app.__main__ as entry
from freeze import icon, icu
from freeze.parts import move_part, split_part
from freeze.prune import drop_dangling_links, drop_orphans, dropped, prune, system_library
from freeze.version_info import project_version, version_file_text, version_tuple, write_version_file

ROOT = Path(__file__).resolve().parent.parent
QT_LIB = Path(str(PySide6.__file__)).parent / "Qt" / "lib"
WHEEL_ICU = QT_LIB / "libicudata.so.73"
needs_icu_tools = pytest.mark.skipif(
    sys.platform != "linux" or not WHEEL_ICU.is_file() or not (shutil.which("icupkg") and shutil.which("gcc")),
    reason="Linux with the PySide6 wheel's ICU, icupkg (icu-devtools) and gcc")


@pytest.mark.parametrize("dest", [
    "PySide6/Qt/lib/libQt6Pdf.so.6", "PySide6/Qt6Pdf.dll",
    "PySide6/Qt/plugins/imageformats/libqpdf.so", "PySide6/plugins/imageformats/qpdf.dll",
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    "PySide6/plugins/platforminputcontexts/qtvirtualkeyboardplugin.dll",
    "PySide6/Qt/plugins/platforms/libqeglfs.so", "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6", "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/translations/qtbase_de.qm", "PySide6\\translations\\qt_ja.qm",
    "PIL/_avif.cpython-311-x86_64-linux-gnu.so", "pillow.libs/libavif-c6062d5f.so.16.4.2",
    "PIL/_webp.cpython-311-x86_64-linux-gnu.so", "pillow.libs/libwebp-51b0b3f7.so.7.2.0",
    "PIL/_imagingcms.cpython-311-x86_64-linux-gnu.so", "pillow.libs/liblcms2-88eaba2f.so.2.0.19",
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


@pytest.mark.parametrize(("dest", "left"), [
    ("libX11.so.6", True), ("libxcb.so.1", True), ("libfontconfig.so.1", True), ("libglib-2.0.so.0", True),
    ("libdbus-1.so.3", True), ("libcups.so.2", True), ("libpulse.so.0", True), ("libpulsecommon-16.1.so", True),
    ("libgssapi_krb5.so.2", True),
    # Python's own, the C++ runtime, Qt Core's zstd and the xcb-util family stay in the bundle.
    ("libpython3.11.so.1.0", False), ("libssl.so.3", False), ("libcrypto.so.3", False), ("libsqlite3.so.0", False),
    ("libffi.so.8", False), ("libstdc++.so.6", False), ("libzstd.so.1", False), ("libxcb-cursor.so.0", False),
    ("libxcb-icccm.so.4", False),
    # A package's private copy is never the system's.
    ("psycopg_binary.libs/libkrb5-f18b4d11.so.3.3", False), ("pillow.libs/libxcb-9065bb12.so.1.1.0", False),
])
def test_the_desktops_own_libraries(dest: str, left: bool) -> None:
    assert (system_library(dest) is not None) is left
    toc = [(dest, f"/x/{dest}", "BINARY")]
    assert prune(toc, linux=True) == ([] if left else toc)
    assert prune(toc) == toc  # Windows: nothing is the system's


def test_orphans_go_with_the_plugin_that_needed_them() -> None:
    links = {"/x/libqgtk3.so": [], "/x/libQt6Gui.so.6": ["libfontconfig.so.1", "libglib-2.0.so.0"],
             "/x/libcairo.so.2": ["libpixman-1.so.0", "libglib-2.0.so.0"], "/x/libpixman-1.so.0": [],
             "/x/libglib-2.0.so.0": [], "/x/libfontconfig.so.1": [], "/x/libpython3.11.so.1.0": [],
             "/x/_cffi_backend.cpython-311-x86_64-linux-gnu.so": []}
    # libqgtk3 (which linked cairo) was dropped by prune: cairo goes, then pixman, which only cairo linked.
    toc = [("PySide6/Qt/lib/libQt6Gui.so.6", "/x/libQt6Gui.so.6", "BINARY")] + [
        (src.removeprefix("/x/"), src, "BINARY") for src in links if "Gui" not in src and "gtk" not in src]
    kept = drop_orphans(toc, lambda src: links[src])
    assert sorted(entry[0] for entry in kept) == [
        "PySide6/Qt/lib/libQt6Gui.so.6", "_cffi_backend.cpython-311-x86_64-linux-gnu.so", "libfontconfig.so.1",
        "libglib-2.0.so.0", "libpython3.11.so.1.0"]


def test_a_link_to_a_file_left_out_goes_too() -> None:
    kept = [("pillow.libs/libwebp-51b0.so.7", "/x/libwebp", "BINARY")]
    links = [("libavif-c606.so.16", "pillow.libs/libavif-c606.so.16", "SYMLINK"),
             ("libwebp-51b0.so.7", "pillow.libs/libwebp-51b0.so.7", "SYMLINK")]
    assert drop_dangling_links(links, kept + links) == [links[1]]


def _library(path: Path, *needed: str) -> tuple[Path, list[str]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x7fELF" + b"\0" * 12)  # the magic is what tells a library from data
    return path, list(needed)


def test_the_camera_part_takes_only_what_the_program_does_not_need(tmp_path: Path) -> None:
    program = tmp_path / "HallDesk"
    lib = program / "_internal" / "PySide6" / "Qt" / "lib"
    graph = dict([
        _library(program / "_internal" / "PySide6" / "QtMultimedia.abi3.so", "libQt6Multimedia.so.6",
                 "libQt6Gui.so.6"),
        _library(program / "_internal" / "PySide6" / "QtWidgets.abi3.so", "libQt6Widgets.so.6"),
        _library(program / "_internal" / "PySide6" / "Qt" / "plugins" / "multimedia" / "libffmpegmediaplugin.so",
                 "libQt6Quick.so.6", "libavcodec.so.61", "libQt6Gui.so.6"),
        _library(lib / "libQt6Multimedia.so.6", "libQt6Gui.so.6"),
        _library(lib / "libQt6Quick.so.6", "libQt6Gui.so.6"),
        _library(lib / "libavcodec.so.61"),
        _library(lib / "libQt6Widgets.so.6", "libQt6Gui.so.6"),
        _library(lib / "libQt6Gui.so.6"),
    ])
    (program / "_internal" / "resources").mkdir()
    (program / "_internal" / "resources" / "catalog.yaml").write_text("事项: []", encoding="utf-8")
    os.symlink("PySide6/Qt/lib/libavcodec.so.61", program / "_internal" / "libavcodec.so.61")
    os.symlink("PySide6/Qt/lib/libQt6Gui.so.6", program / "_internal" / "libQt6Gui.so.6")

    def needed(path: str) -> list[str]:
        return graph[Path(path)]

    part = split_part(program / "_internal", ["pyside6/qtmultimedia.*", "pyside6/qt/plugins/multimedia/*"], needed)
    assert part == ["PySide6/Qt/lib/libQt6Multimedia.so.6", "PySide6/Qt/lib/libQt6Quick.so.6",
                    "PySide6/Qt/lib/libavcodec.so.61", "PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so",
                    "PySide6/QtMultimedia.abi3.so", "libavcodec.so.61"]


def test_moving_the_part_leaves_the_program_whole(tmp_path: Path) -> None:
    program, part = tmp_path / "HallDesk", tmp_path / "HallDesk-camera"
    plugin, _ = _library(program / "_internal" / "PySide6" / "Qt" / "plugins" / "multimedia" / "libffmpeg.so")
    _library(program / "_internal" / "PySide6" / "QtWidgets.abi3.so")
    (part / "_internal" / "stale").mkdir(parents=True)  # an earlier build's part is replaced, not merged
    moved = move_part(program, part, needed=lambda path: [])
    assert moved == ["PySide6/Qt/plugins/multimedia/libffmpeg.so"]
    assert (part / "_internal" / moved[0]).is_file() and not plugin.exists()
    assert not (program / "_internal" / "PySide6" / "Qt" / "plugins").exists()  # emptied folders go
    assert (program / "_internal" / "PySide6" / "QtWidgets.abi3.so").is_file()
    assert not (part / "_internal" / "stale").exists()


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


def icu_probe(library_folder: Path | None) -> dict[str, Any]:
    """tests/support/icu_probe.py's answers, with the libicudata in ``library_folder`` (None: the wheel's)."""
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    if library_folder is not None:
        env["LD_LIBRARY_PATH"] = str(library_folder)
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "support" / "icu_probe.py")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr  # no Qt warning ("Could not create collator", …)
    answers: dict[str, Any] = json.loads(proc.stdout)
    return answers


@pytest.fixture(scope="module")
def trimmed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel's libicudata trimmed and rebuilt, as build.spec does."""
    return icu.trimmed_library(WHEEL_ICU, tmp_path_factory.mktemp("icu"))


@pytest.mark.parametrize(("item", "kept"), [
    ("coll/zh.res", True), ("coll/zh_CN.res", True), ("coll/ucadata.icu", True), ("zone/zh.res", True),
    ("root.res", True), ("zh_Hans_CN.res", True), ("en_US.res", True), ("cnvalias.icu", True),
    ("gb18030.cnv", True), ("zoneinfo64.res", True),
    ("coll/de.res", False), ("coll/zh_Hant.res", False), ("zone/fr.res", False), ("ja.res", False),
    ("brkitr/thaidict.dict", False), ("brkitr/char.brk", False), ("ibm-943_P130-1999.cnv", False),
    ("unames.icu", False), ("curr/zh.res", False), ("unit/en.res", False), ("translit/root.res", False),
])
def test_which_icu_items_stay(item: str, kept: bool) -> None:
    assert icu.kept(item) is kept


@needs_icu_tools
def test_the_trimmed_package_holds_exactly_the_kept_items(tmp_path: Path) -> None:
    full = tmp_path / "full" / "icudt73l.dat"
    full.parent.mkdir()
    full.write_bytes(icu.extract(WHEEL_ICU, 73))
    everything = icu.items(full)
    assert len(everything) > 3000 and "coll/zh.res" in everything  # the whole of ICU 73's data
    small = tmp_path / "icudt73l.dat"
    left = icu.trim(full, small)
    assert left == sorted(item for item in everything if icu.kept(item)) == icu.items(small)
    # Every item KEEP_ITEMS names exists (a renamed item in a later ICU would otherwise go unnoticed)
    assert set(icu.KEEP_ITEMS) <= set(left)
    assert {f"{tree}{locale}.res" for tree in ("", "coll/", "zone/") for locale in ("root", "zh", "zh_Hans")} <= set(left)
    assert small.stat().st_size < 4_000_000 < 30_000_000 < full.stat().st_size


@needs_icu_tools
def test_the_rebuilt_library_has_the_soname_and_the_data_symbol(trimmed: Path) -> None:
    dynamic = subprocess.run(["readelf", "-d", str(trimmed)], capture_output=True, text=True, check=True).stdout
    assert "Library soname: [libicudata.so.73]" in dynamic
    assert "NEEDED" not in dynamic  # like the wheel's: data only
    symbols = subprocess.run(["nm", "-D", "-S", str(trimmed)], capture_output=True, text=True, check=True).stdout
    assert " R icudt73_dat" in symbols
    assert 2_500_000 < trimmed.stat().st_size < 4_000_000  # 3.5 MB measured; the wheel's is 32 MB
    assert icu.extract(trimmed, 73)[12:16] == b"CmnD"  # it reads back as an ICU common-data package


@needs_icu_tools
def test_extract_refuses_what_is_not_icu_data(tmp_path: Path) -> None:
    text = tmp_path / "libicudata.so.73"
    text.write_text("not ELF", encoding="ascii")
    with pytest.raises(ValueError, match="not a 64-bit"):
        icu.extract(text, 73)
    with pytest.raises(ValueError, match="no symbol icudt72_dat"):
        icu.extract(WHEEL_ICU, 72)
    with pytest.raises(ValueError, match="not a libicudata"):
        icu.trimmed_library(QT_LIB / "libicuuc.so.73", tmp_path)


def test_a_missing_tool_names_the_debian_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # neither icupkg nor gcc on it
    with pytest.raises(icu.ToolMissing, match=r"icupkg is missing.*icu-devtools"):
        icu.items(tmp_path / "icudt73l.dat")
    with pytest.raises(icu.ToolMissing, match=r"gcc is missing.*gcc"):
        icu.build(tmp_path / "icudt73l.dat", tmp_path / "libicudata.so.73", 73)


def test_trim_binaries_replaces_only_the_icu_data_library(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    built: list[tuple[Path, Path]] = []

    def fake_trimmed(library: Path, folder: Path) -> Path:
        built.append((library, folder))
        return folder / library.name

    monkeypatch.setattr(icu, "trimmed_library", fake_trimmed)
    toc = [("PySide6/Qt/lib/libicudata.so.73", "/wheel/libicudata.so.73", "BINARY"),
           ("PySide6/Qt/lib/libicuuc.so.73", "/wheel/libicuuc.so.73", "BINARY")]
    assert icu.trim_binaries(toc, tmp_path) == [
        ("PySide6/Qt/lib/libicudata.so.73", str(tmp_path / "icu" / "libicudata.so.73"), "BINARY"), toc[1]]
    assert built == [(Path("/wheel/libicudata.so.73"), tmp_path / "icu")]


def check_qt_answers_with(library: Path) -> None:
    """Qt answers with ``library`` (a trimmed libicudata) as with the wheel's full data, in the kept locales."""
    full, small = icu_probe(None), icu_probe(library.parent)
    assert full["libicudata"] == [str(WHEEL_ICU)] and small["libicudata"] == [str(library)]
    # The hall's sorting: pinyin (阿 a, 李 li, 欧阳 ouyang, 王 wang, 文 wen, 张 zhang, 赵 zhao); QFileDialog's
    # list also by number value (文件2 before 文件10)
    assert small["collation"]["zh_CN"][:8] == ["阿明", "李四", "欧阳", "王五", "文件10", "文件2", "张三", "赵六"]
    assert small["file_dialog"] == ["李四.txt", "文件2.pdf", "文件10.pdf", "张三.txt", "A.txt", "b.txt"]
    for key in ("numeric", "file_dialog", "case"):
        assert small[key] == full[key], key
    for name in ("zh_CN", "en_US", "C", "de_DE"):  # de_DE: its standard order is the root one
        assert small["collation"][name] == full["collation"][name], name
    for zone, names in full["zones"].items():
        assert {k: v for k, v in small["zones"][zone].items() if "de_DE" not in k} == \
            {k: v for k, v in names.items() if "de_DE" not in k}, zone
    assert small["zones"]["Asia/Shanghai"]["zh_CN StandardTime LongName"] == "中国标准时间"
    assert small["case"]["zh_CN"] == ["ABC Ǆ STRASSE I", "abc i̇ σας"]
    assert small["case"]["tr_TR"][0].endswith("İ")  # locale rules are ICU code, not data
    assert small["codecs"] == full["codecs"] == {
        "GBK": [True, "中文字段"], "GB18030": [True, "中文𠀀"], "GB2312": [True, "中文"], "Big5": [True, "中文"]}
    assert {"GBK", "GB18030", "Big5", "UTF-8"} <= set(small["available_codecs"]) <= set(full["available_codecs"])


@needs_icu_tools
def test_qt_answers_the_same_with_the_trimmed_data_in_the_kept_locales(trimmed: Path) -> None:
    check_qt_answers_with(trimmed)


@needs_icu_tools
def test_dropped_locales_fall_back_without_error(trimmed: Path) -> None:
    small = icu_probe(trimmed.parent)
    assert small["collation"]["sv_SE"] == small["collation"]["en_US"]  # the root order
    assert small["collation"]["sv_SE"].index("ärger") == 1  # Swedish puts ä after z; that tailoring is gone
    assert small["collation"]["zh_TW"] == small["collation"]["zh_CN"]  # zh_Hant's stroke order: gone, pinyin
    berlin = small["zones"]["Europe/Berlin"]
    assert berlin["de_DE StandardTime LongName"] == berlin["en_US StandardTime LongName"]  # no German names
