"""QR codes on A4 pages as vectors: the module matrix, and its dark modules as runs (one rectangle each)."""

from __future__ import annotations

from collections.abc import Iterator

import qrcode

Matrix = tuple[tuple[bool, ...], ...]


def qr_matrix(payload: str) -> Matrix:
    """The modules of ``payload``'s QR code (error correction M, no quiet zone: the page gives it)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(payload)
    code.make(fit=True)
    return tuple(tuple(bool(v) for v in row) for row in code.get_matrix())


def dark_runs(matrix: Matrix) -> Iterator[tuple[int, int, int]]:
    """(row, first column, length) of each run of dark modules, row 0 at the top: a page draws one rectangle per
    run instead of one per module."""
    n = len(matrix)
    for r, row in enumerate(matrix):
        col = 0
        while col < n:
            if not row[col]:
                col += 1
                continue
            start = col
            while col < n and row[col]:
                col += 1
            yield r, start, col - start
