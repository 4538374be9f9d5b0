"""Printing: ESC/POS thermal receipts, A4 notices as PDF (templates, Chinese text, pages), signed QR slips and
the print queue.  No Qt here."""
