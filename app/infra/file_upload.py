"""An offline counter's 电子件 on their way to the shared database: after the cases, chunk by chunk, resumable.

A case is pushed with its ``case_file`` rows (metadata, ``app.infra.sync``); the bytes follow here, once the
outbox of cases is drained, so a 50 MB scan never holds up the cases taken after it.  Each file of the local
``file_outbox`` goes up one chunk per shared transaction (insert-if-absent on ``(sha256, seq)``), and
``sent_chunks`` moves on in the local store after each: a cut connection resumes at the next chunk, and a
chunk sent twice (the shared commit happened, the local mark did not) changes nothing.  When every chunk is
there the ``stored_file`` row is written on the shared database, after the chunks there were hashed one at a
time (never the whole file in memory) and matched the SHA-256; only then is a file visible to reviewers.
A file another counter uploaded already (same content) is not sent again.

The local copy stays in the counter's store after the upload (the clerk may reopen it there) until the store
passes the hall's budget (``FileLimits.store_budget_mb``): then ``prune`` drops the bytes of the files uploaded
longest ago — only those the shared database holds whole — until the store is back under 90 % of it.  What
files still waiting for upload fill beyond the budget cannot be dropped: ``sync status`` and the banner warn;
a case is never refused for it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, delete, func, select, text, update
from sqlalchemy.orm import Session

from app.files import MB, read_limits
from db.engine import reading
from db.models import FileOutbox, Outbox, StoredFile, StoredFileChunk
from db.types import utcnow
from db.upsert import insert_ignore


def _t(model: Any) -> Table:
    return cast(Table, model.__table__)


@dataclass(frozen=True)
class UploadResult:
    """What one upload round did: files now complete on the shared database (sent or found there), chunks sent,
    files still waiting, and whether it stopped early because new cases were waiting to go first."""

    files: int
    chunks: int
    pending: int
    yielded: bool = False
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoreUsage:
    """A counter store's files still to upload and its size against the hall's budget."""

    files_pending: int
    pending_bytes: int
    store_bytes: int
    budget_mb: int

    @property
    def over_budget(self) -> bool:
        return self.store_bytes > self.budget_mb * MB

    @property
    def warning(self) -> str:
        if not self.over_budget:
            return ""
        return (f"本机窗口库已用 {self.store_bytes / MB:.0f} MB，超过预算 {self.budget_mb} MB"
                "（未上传的电子件不能清理）：受理照常进行；请尽快恢复网络连接，或请管理员调大预算")


def usage(conn: Connection) -> StoreUsage:
    """Files waiting and the store's size: pages in use (free pages are reused by the next scans)."""
    pending, size = conn.execute(
        select(func.count(), func.coalesce(func.sum(StoredFile.size), 0))
        .select_from(FileOutbox)
        .outerjoin(StoredFile, StoredFile.sha256 == FileOutbox.sha256)
        .where(FileOutbox.sent_at.is_(None))
    ).one()
    pages = int(conn.execute(text("PRAGMA page_count")).scalar_one())
    free = int(conn.execute(text("PRAGMA freelist_count")).scalar_one())
    page_size = int(conn.execute(text("PRAGMA page_size")).scalar_one())
    with Session(conn) as s:
        lim = read_limits(s)  # the hall's setting, pulled into the store with the other settings
    return StoreUsage(int(pending), int(size), (pages - free) * page_size, lim.store_budget_mb)


# Pruning goes down to this share of the budget, so that it does not run again at every next scan.
PRUNE_TO = 0.9


def prune(local: Engine) -> int:
    """Over budget: drop the local bytes of uploaded files, oldest upload first, one file per transaction (the
    counter's next intake never waits long for the store); the ``stored_file`` row stays.  Returns how many."""
    with reading(local) as conn:
        use = usage(conn)
        if not use.over_budget:
            return 0
        has_chunks = select(StoredFileChunk.seq).where(StoredFileChunk.sha256 == FileOutbox.sha256).exists()
        uploaded = conn.execute(
            select(FileOutbox.sha256, StoredFile.size)
            .join(StoredFile, StoredFile.sha256 == FileOutbox.sha256)
            .where(FileOutbox.sent_at.is_not(None), has_chunks)
            .order_by(FileOutbox.sent_at)
        ).all()
    excess = use.store_bytes - int(use.budget_mb * MB * PRUNE_TO)
    dropped = 0
    for sha, size in uploaded:
        if excess <= 0:
            break
        with local.begin() as conn:
            conn.execute(delete(StoredFileChunk).where(StoredFileChunk.sha256 == sha))
        excess -= int(size)
        dropped += 1
    return dropped


def _newest_case(local: Engine) -> int:
    with reading(local) as conn:
        return int(conn.execute(select(func.coalesce(func.max(Outbox.seq), 0))).scalar_one())


def _cases_waiting_since(local: Engine, seq: int) -> bool:
    """A case taken since the upload began is waiting: it goes first (refused old ones would block forever)."""
    with reading(local) as conn:
        return conn.execute(
            select(Outbox.seq).where(Outbox.seq > seq, Outbox.sent_at.is_(None)).limit(1)
        ).first() is not None


def send_chunk(shared: Engine, row: dict[str, Any]) -> None:
    """One chunk in its own shared transaction; a chunk already there (a resend, or the same file from another
    counter) is left as it is."""
    with shared.begin() as conn:
        insert_ignore(conn, _t(StoredFileChunk), [row])


def _shared_digest(conn: Connection, sha256: str, chunks: int) -> str | None:
    """The SHA-256 of the chunks the shared database holds, read one chunk at a time; None if one is missing."""
    digest = hashlib.sha256()
    for seq in range(chunks):
        data = conn.execute(select(StoredFileChunk.data).where(StoredFileChunk.sha256 == sha256,
                                                               StoredFileChunk.seq == seq)).scalar_one_or_none()
        if data is None:
            return None
        digest.update(data)
    return digest.hexdigest()


def complete(shared: Engine, stored: dict[str, Any]) -> str:
    """Write the ``stored_file`` row once the shared chunks hash right; '' or why not (the chunks were wrong
    and are removed, so the next round sends the file again from its first chunk)."""
    sha = stored["sha256"]
    with shared.begin() as conn:
        if conn.execute(select(StoredFile.sha256).where(StoredFile.sha256 == sha)).first() is not None:
            return ""
        got = _shared_digest(conn, sha, int(stored["chunks"]))
        if got == sha:
            insert_ignore(conn, _t(StoredFile), [{**stored, "created_at": utcnow()}])
            return ""
        conn.execute(delete(StoredFileChunk).where(StoredFileChunk.sha256 == sha))
    what = "缺少分块" if got is None else "校验值不符"
    return f"电子件 {sha[:12]} 上传后{what}，将重新上传"


def _mark(local: Engine, sha256: str, **values: Any) -> None:
    with local.begin() as conn:
        conn.execute(update(FileOutbox).where(FileOutbox.sha256 == sha256).values(**values))


def upload(local: Engine, shared: Engine, *, yield_to_cases: bool = True) -> UploadResult:
    """Upload the files of the local ``file_outbox``, oldest first, one chunk per shared transaction.

    Raises the driver's connection error when the shared database goes out of reach (what was sent stays
    sent: the next round resumes at the next chunk).  With ``yield_to_cases``, returns early (``yielded``)
    as soon as a case taken meanwhile waits in the outbox, so the caller pushes it first.
    """
    newest = _newest_case(local) if yield_to_cases else 0
    with reading(local) as conn:
        queue = [(r.sha256, int(r.sent_chunks)) for r in conn.execute(
            select(FileOutbox.sha256, FileOutbox.sent_chunks).where(FileOutbox.sent_at.is_(None))
            .order_by(FileOutbox.created_at, FileOutbox.sha256))]
    done = sent = 0
    problems: list[str] = []
    for sha, start in queue:
        with reading(shared) as sconn:
            there = sconn.execute(select(StoredFile.sha256).where(StoredFile.sha256 == sha)).first() is not None
        with reading(local) as conn:
            found = conn.execute(select(_t(StoredFile)).where(StoredFile.sha256 == sha)).mappings().first()
        if there:  # another counter uploaded the same content: nothing to send
            _mark(local, sha, sent_at=utcnow(), attempts=FileOutbox.attempts + 1, last_error="")
            done += 1
            continue
        if found is None:  # never stored whole here: it stays waiting, and reconcile reports it missing
            problems.append(f"本机库中没有电子件 {sha[:12]} 的内容，无法上传")
            _mark(local, sha, attempts=FileOutbox.attempts + 1, last_error=problems[-1])
            continue
        stored = dict(found)
        _mark(local, sha, attempts=FileOutbox.attempts + 1)
        for seq in range(start, int(stored["chunks"])):
            if yield_to_cases and _cases_waiting_since(local, newest):
                return UploadResult(done, sent, _pending(local), yielded=True, problems=tuple(problems))
            with reading(local) as conn:
                data = conn.execute(select(StoredFileChunk.data).where(
                    StoredFileChunk.sha256 == sha, StoredFileChunk.seq == seq)).scalar_one_or_none()
            if data is None:  # the store lost this chunk: say so, and go on with the other files
                problems.append(f"本机库中电子件 {sha[:12]} 的第 {seq + 1} 块缺失，无法上传")
                _mark(local, sha, last_error=problems[-1])
                break
            send_chunk(shared, {"sha256": sha, "seq": seq, "data": bytes(data)})
            sent += 1
            _mark(local, sha, sent_chunks=seq + 1)
        else:  # every chunk is on the shared database
            why = complete(shared, stored)
            if why:
                problems.append(why)
                _mark(local, sha, sent_chunks=0, last_error=why)
                continue
            _mark(local, sha, sent_at=utcnow(), last_error="")
            done += 1
    return UploadResult(done, sent, _pending(local), problems=tuple(problems))


def _pending(local: Engine) -> int:
    with reading(local) as conn:
        return int(conn.execute(select(func.count()).select_from(FileOutbox)
                                .where(FileOutbox.sent_at.is_(None))).scalar_one())
