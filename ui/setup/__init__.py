"""本机设置: the set-up wizard (issue 17): 工作方式, 数据库, 本机窗口, 打印机, 登记, 完成."""

from ui.setup.wizard import SetupWizard, saved_station

__all__ = ["SetupWizard", "saved_station"]
