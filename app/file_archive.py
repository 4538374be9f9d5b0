"""Moving old 电子件 out of the database to the hall's file share (``files archive``).

A hall keeps its scans for years, but reads those of closed cases rarely; the database (and its backups) need not
carry them.  ``archive`` moves every stored file whose cases all finished before a date to a folder — a file
share every HallDesk PC reaches by the same path (``\\\\nas\\halldesk`` or a mount point) — one file at a time:

1. the chunks are written to ``<root>/ab/cd/<sha256>.<type>.part`` and checked against the SHA-256 as they go;
2. the file is renamed to its place, then, in one transaction, ``stored_file.archive_path`` is set, the chunks
   are deleted and an audit row is written.

A crash between 2's rename and its commit leaves a copy on the share and the file in the database: the next run
writes it again.  The viewer and ``case file-get`` read an archived file from the share (``files.chunks``), with
the same permissions and audit; a share that is not there is said in Chinese, never as an error of the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, exists, select, update

from app.auth import Actor
from app.errors import ValidationError
from app.files import chunks
from app.hall_settings import HALL_TZ
from app.roles import require
from app.uow import UnitOfWork
from db.models import Case, CaseFile, StoredFile, StoredFileChunk

SUFFIX = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png"}
PATH_CHARS = 500  # stored_file.archive_path


@dataclass(frozen=True)
class ArchiveReport:
    """What one run moved: files, bytes, and where."""

    root: str
    finished_before: date
    files: int
    bytes: int

    def as_json(self) -> dict[str, Any]:
        return {"root": self.root, "finished_before": self.finished_before.isoformat(), "files": self.files,
                "bytes": self.bytes}


def archive_place(root: Path, sha256: str, kind: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / f"{sha256}{SUFFIX.get(kind, '')}"


def _candidates(uow: UnitOfWork, before: datetime) -> list[tuple[str, str]]:
    """Files still in the database whose every case finished before ``before`` (and that some case carries)."""
    unfinished = (select(CaseFile.sha256).join(Case, Case.id == CaseFile.case_id)
                  .where(CaseFile.sha256 == StoredFile.sha256)
                  .where((Case.finished_at.is_(None)) | (Case.finished_at >= before)))
    carried = select(CaseFile.sha256).where(CaseFile.sha256 == StoredFile.sha256)
    with uow:
        return [(r.sha256, r.kind) for r in uow.session.execute(
            select(StoredFile.sha256, StoredFile.kind).where(StoredFile.archive_path.is_(None), exists(carried),
                                                             ~exists(unfinished)).order_by(StoredFile.created_at))]


def archive(uow_factory: Callable[[], UnitOfWork], actor: Actor, finished_before: date, root: Path,
            progress: Callable[[int, int], None] | None = None) -> ArchiveReport:
    """Move the files of cases finished before ``finished_before`` to ``root`` (admin only; see the module)."""
    require(actor, "files.archive")
    if finished_before > datetime.now(HALL_TZ).date():
        raise ValidationError("finished_before", "只能归档已办结的办件：日期不能晚于今天")
    root = root.expanduser()
    if not root.is_absolute():
        raise ValidationError("to", f"文件共享应写完整路径（{root} 不是完整路径），各窗口电脑须能以同一路径访问")
    if not root.is_dir():
        raise ValidationError("to", f"找不到文件夹 {root}：请先连接文件共享并确认路径")
    if len(str(archive_place(root, "0" * 64, "jpeg"))) > PATH_CHARS:
        raise ValidationError("to", f"文件共享路径太长（归档后的路径不能超过{PATH_CHARS}个字符）")
    before = datetime.combine(finished_before, time.min, HALL_TZ)
    todo = _candidates(uow_factory(), before)
    moved = size = 0
    for n, (sha, kind) in enumerate(todo, 1):
        size += _move(uow_factory(), actor, sha, kind, root)
        moved += 1
        if progress is not None:
            progress(n, len(todo))
    return ArchiveReport(str(root), finished_before, moved, size)


def _move(uow: UnitOfWork, actor: Actor, sha256: str, kind: str, root: Path) -> int:
    target = archive_place(root, sha256, kind)
    part = target.with_name(target.name + ".part")
    with uow:
        s = uow.session
        # Locked for the move: a viewer reading it meanwhile still reads the chunks, which stay until commit.
        stored = s.execute(select(StoredFile).where(StoredFile.sha256 == sha256).with_for_update()).scalar_one()
        if stored.archive_path is not None:
            return 0
        digest = hashlib.sha256()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with part.open("wb") as fh:
                for chunk in chunks(s, sha256):
                    digest.update(chunk)
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            if digest.hexdigest() != sha256:
                raise ValidationError("file", f"电子件 {sha256[:12]} 的内容与其校验值不符，未归档：请报告系统管理员")
            part.replace(target)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                part.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise ValidationError("to", f"无法写入文件共享 {root}：{exc.strerror or exc}（已归档的文件不受影响）") from exc
            raise
        s.execute(update(StoredFile).where(StoredFile.sha256 == sha256).values(archive_path=str(target)))
        s.execute(delete(StoredFileChunk).where(StoredFileChunk.sha256 == sha256))
        uow.audit(actor.username, "file.archive", "stored_file", sha256,
                  {"path": str(target), "bytes": stored.size})
        uow.commit()
        return int(stored.size)
