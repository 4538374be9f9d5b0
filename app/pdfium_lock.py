"""The one lock around every pdfium call in the process.

pdfium (through pypdfium2) is not thread-safe: two threads must never be inside it at the same time, not even
on different documents — opening, rendering, closing, and the finalizers pypdfium2 runs when an object is
collected all count.  The GUI runs its work on Qt's thread pool (``ui.ops``), so the viewer, the notice preview
and the counter's check of a scanned PDF can run at once: each holds ``PDFIUM_LOCK`` while it calls pdfium and
closes what it opened before letting go (so no finalizer runs later on another thread).
"""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()
