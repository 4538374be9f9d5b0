"""Test helpers: an ESC/POS decoder and a fake network printer."""
