"""Helpers of ``build.spec`` (the PyInstaller build): what to leave out, the Windows version resource, the icon.

Plain Python without PyInstaller or Qt, so the tests check them without building anything.
"""
