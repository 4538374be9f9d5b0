"""Reading what a person hands the CLI as a file (JSON, JSON lines, YAML): every problem a Chinese ValidationError.

Files saved by Windows Notepad start with a UTF-8 byte order mark: it is accepted (``utf-8-sig``).  A file in
another encoding (GBK, UTF-16), a folder, a missing or unreadable file, broken JSON — each gets a message that
says what is wrong and where, never the parser's English text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from app.errors import ValidationError

# CPython's json messages (json.decoder, json.scanner), by their start, in Chinese.
_JSON_PROBLEMS = (
    ("Expecting value", "此处应有一个值（文本须加双引号）"),
    ("Expecting property name enclosed in double quotes", "键名应使用双引号"),
    ("Expecting ':' delimiter", "缺少冒号"),
    ("Expecting ',' delimiter", "缺少逗号"),
    ("Unterminated string", "文本缺少结束的双引号"),
    ("Invalid control character", "文本中有控制字符（换行等请写成 \\n）"),
    ("Invalid \\uXXXX escape", "\\u 转义不正确"),
    ("Invalid \\escape", "反斜杠转义不正确"),
    ("Extra data", "JSON 结束后还有多余的内容"),
    ("Illegal trailing comma", "最后一项后面多了逗号"),
)


def json_problem(exc: json.JSONDecodeError) -> str:
    """Where and what, in Chinese: ``第3行第7列缺少逗号``."""
    what = next((cn for en, cn in _JSON_PROBLEMS if exc.msg.startswith(en)), "格式不正确")
    return f"第{exc.lineno}行第{exc.colno}列{what}"


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a leading byte order mark dropped)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("file", f"{name} 不是 UTF-8 编码（第{exc.start + 1}个字节无法识别）：请另存为 UTF-8 后再试") from None


def read_text(path: str) -> str:
    """The file's text; ``-`` reads standard input."""
    if path == "-":
        raw = getattr(sys.stdin, "buffer", None)  # a test's StringIO has no bytes underneath
        return decode(raw.read(), "标准输入") if raw is not None else sys.stdin.read().removeprefix("\ufeff")
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ValidationError("file", f"文件不存在：{path}") from None
    except IsADirectoryError:
        raise ValidationError("file", f"{path} 是文件夹，不是文件") from None
    except PermissionError:
        raise ValidationError("file", f"没有权限读取文件：{path}") from None
    except OSError as exc:
        raise ValidationError("file", f"无法读取文件 {path}（错误码 {exc.errno}）") from None
    return decode(data, path)


def parse_json(text: str, what: str = "JSON") -> Any:
    """The JSON document in ``text``; a ValidationError on field ``json`` saying what is wrong and where."""
    try:
        return json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        raise ValidationError("json", f"{what} 格式错误：{json_problem(exc)}") from None
    except RecursionError:
        raise ValidationError("json", f"{what} 嵌套层数过多，无法读取") from None
    except ValueError:  # an integer of thousands of digits
        raise ValidationError("json", f"{what} 中有位数过多的数字，无法读取") from None
