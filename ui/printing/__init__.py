"""Printing shared by the desks: the print queue and its worker, printer settings, the notice preview."""
