"""When something goes wrong that is nobody's input but a bug: one line for the user, the details for support.

``record(exc)`` writes the traceback to ``<data folder>/logs/<reference>.log`` and returns an ``Incident``
whose ``message`` is the one Chinese line the CLI prints and the GUI shows, with the reference (e.g.
``E20261207-3F9A2C``) the user reads out to the administrator.

The log holds no personal data.  The engines are made with ``hide_parameters=True`` (``db.engine``), so a
database error's message carries no bound values; what else could carry some is scrubbed from the exception
messages (``scrub``): PostgreSQL's ``DETAIL`` lines (``Key (uscc)=(…)``, ``Failing row contains (…)``),
MariaDB's ``Duplicate entry '…'`` and ``Incorrect string value: '…'``, quoted text with Chinese or digits in
it, Chinese text, and runs of six or more digits (ID numbers, phones, pickup codes).  The frames of the
traceback (file names, line numbers, source lines) are scrubbed the same way, in case a literal holds data.
"""

from __future__ import annotations

import platform
import re
import secrets
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from db.paths import data_dir

HIDDEN = "…"

# Applied in order to the text of exception messages (never to the frames).
_SCRUBS: tuple[tuple[re.Pattern[str], str], ...] = (
    # PostgreSQL: "Key (uscc)=(91360112MA35XJ017X) already exists." keeps which key, drops the value.
    (re.compile(r"Key \(([^)]*)\)=\(.*?\)(?= |\.|$)", re.MULTILINE), rf"Key (\1)=({HIDDEN})"),
    # Any other DETAIL (e.g. "Failing row contains (…the whole row…)") and CONTEXT line: dropped whole.
    (re.compile(r"^(DETAIL|CONTEXT):(?!\s*Key \([^)]*\)=\(…\)).*$", re.MULTILINE), rf"\1:  {HIDDEN}"),
    # MariaDB/MySQL quote the offending value.
    (re.compile(r"Duplicate entry '.*?' for key"), f"Duplicate entry '{HIDDEN}' for key"),
    (re.compile(r"Incorrect (\w+) value: '.*?'"), rf"Incorrect \1 value: '{HIDDEN}'"),
    # Quoted text with Chinese (or any non-ASCII) or a digit in it: a name, an address, a number.
    (re.compile(r"'[^'\n]*[^\x00-\x7f…][^'\n]*'|'[^'\n]*[0-9][^'\n]*'"), f"'{HIDDEN}'"),
    (re.compile(r'"[^"\n]*[^\x00-\x7f…][^"\n]*"'), f'"{HIDDEN}"'),
    # Chinese (and other non-ASCII) text left unquoted, and lone surrogates from undecodable input.
    (re.compile(r"[^\x00-\x7f]+"), HIDDEN),
    # ID numbers (17 digits and a check character), mobile numbers, pickup codes, anything long and numeric.
    (re.compile(r"\d{6,}[Xx]?"), "######"),
)


def scrub(text: str) -> str:
    """``text`` (an exception's message) without the personal data it may carry."""
    for pattern, replacement in _SCRUBS:
        text = pattern.sub(replacement, text)
    return text


def log_folder() -> Path:
    path = data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_reference(now: datetime | None = None) -> str:
    """``E20261207-3F9A2C``: the day, and six random hex digits to tell the day's incidents apart."""
    return f"E{(now or datetime.now()):%Y%m%d}-{secrets.token_hex(3).upper()}"


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it came from, oldest first (as Python prints them)."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        chain.append(current)
        seen.add(id(current))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain[::-1]


def scrubbed_traceback(exc: BaseException) -> str:
    """The traceback as Python would print it, with every exception message scrubbed."""
    parts: list[str] = []
    for i, link in enumerate(_chain(exc)):
        if i:
            parts.append("\n（上面的异常引发了下面的异常）\n\n")
        parts.append("Traceback (most recent call last):\n")
        # Source lines too: code, but a test or a script may hold data in a literal.
        parts.append(scrub("".join(traceback.format_list(traceback.extract_tb(link.__traceback__)))))
        parts.append(scrub("".join(traceback.format_exception_only(type(link), link))))
    return "".join(parts)


@dataclass(frozen=True)
class Incident:
    reference: str
    log_path: Path | None  # None: the log could not be written

    @property
    def message(self) -> str:
        """The one line a user sees."""
        unlogged = "" if self.log_path is not None else "（日志未能写入）"
        return (f"错误：程序内部错误，操作未完成（参考编号 {self.reference}{unlogged}）。"
                "请把参考编号告知系统管理员。")


def record(exc: BaseException, *, context: Sequence[str] = ()) -> Incident:
    """Write the scrubbed traceback of ``exc`` under a new reference; never raises."""
    now = datetime.now().astimezone()
    reference = new_reference(now)
    head = [f"参考编号：{reference}", f"时间：{now.isoformat(timespec='seconds')}",
            f"系统：{platform.platform()}，Python {platform.python_version()}", *context, ""]
    try:
        path = log_folder() / f"{reference}.log"
        # backslashreplace: an undecodable character in the text must not stop the log from being written.
        path.write_text("\n".join(head) + scrubbed_traceback(exc), encoding="utf-8", errors="backslashreplace")
    except OSError:
        return Incident(reference, None)
    return Incident(reference, path)
