"""The folder printer (``folder:///path``): each job a new file, so a hall prints with no hardware.

The demo sends every counter's jobs to ``<data folder>/打印输出/窗口N`` (``app.demo``): receipts as ``.bin`` (the
ESC/POS bytes a receipt printer would get: the print queue's 预览 draws them), A4 notices as ``.pdf``.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from app.printing.address import PrinterAddress, PrinterError


def folder_uri(path: str | Path) -> str:
    """``folder:///…`` for a folder (a Windows drive path becomes ``folder:///C:/…``)."""
    text = str(path).strip().replace("\\", "/")
    if not text:
        return ""
    if not text.startswith("/"):
        text = "/" + text
    return "folder://" + text.replace("%", "%25")


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\s]+')


def folder_job_path(folder: Path, job_name: str, suffix: str, now: datetime | None = None) -> Path:
    """Where a folder printer puts a job: ``<folder>/<YYYYmmdd-HHMMSS-ffffff>-<name><suffix>``, a name that is
    free now (a counter ``-2``, ``-3`` … is added when two jobs land in the same microsecond)."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
    name = _UNSAFE_NAME.sub("_", job_name).strip("._")[:60] or "job"
    target = folder / f"{stamp}-{name}{suffix}"
    n = 1
    while target.exists() or target.with_name(target.name + ".part").exists():
        n += 1
        target = folder / f"{stamp}-{name}-{n}{suffix}"
    return target


def write_folder_job(address: PrinterAddress, data: bytes, job_name: str, suffix: str) -> Path:
    """A folder printer: the job as a new file, written to ``.part`` and renamed once complete (whoever watches
    the folder never sees half a job), never overwriting another.  The folder is made when missing."""
    assert address.path is not None
    folder = Path(address.path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder_job_path(folder, job_name, suffix)
        part = target.with_name(target.name + ".part")
        with part.open("xb") as fh:  # exclusive: another writer's file is never reused
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        for _ in range(100):
            if _rename_no_overwrite(part, target):
                return target
            target = folder_job_path(folder, job_name, suffix)
        raise PrinterError(f"打印文件夹中已有同名文件，请重试：{folder}", "io")
    except PermissionError:
        raise PrinterError(f"没有权限写入打印文件夹：{folder}", "io") from None
    except NotADirectoryError:
        raise PrinterError(f"打印地址不是文件夹：{folder}", "io") from None
    except OSError as exc:
        raise PrinterError(f"写入打印文件夹失败：{folder}（{exc.strerror or exc}）", "io") from None
    raise AssertionError("unreachable")


def _rename_no_overwrite(source: Path, target: Path) -> bool:
    """Rename ``source`` to ``target`` unless ``target`` exists (False then).  POSIX rename would replace it,
    so a hard link (which refuses) is made first; where links are unsupported (FAT, some shares) and on
    Windows, rename itself refuses to replace."""
    if os.name == "nt":
        try:
            os.rename(source, target)
        except FileExistsError:
            return False
        return True
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    except OSError:  # no hard links here
        if target.exists():
            return False
        os.rename(source, target)
        return True
    os.unlink(source)
    return True


