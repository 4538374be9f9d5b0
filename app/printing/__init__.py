"""Printing: ESC/POS thermal receipts, A4 notices as PDF, signed QR slips and the print queue.  No Qt here."""
