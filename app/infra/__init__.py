"""Infrastructure: how HallDesk stores, numbers, caches, signs and moves its data, not what the rules are.

The counter PC's local store and its sync with the shared database (``counter_store``, ``sync``, ``outbox``),
live queue updates (``live``), per-counter number sequences (``numbering``), counter signing keys (``keys``),
the reference-data cache (``refcache``) and batched statements (``pipeline``).  The services of ``app/`` use
these; nothing here decides a case.
"""
