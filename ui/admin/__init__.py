"""系统管理: the admin's desk — 用户管理, 窗口管理, 大厅设置, 节假日 — and the settings-page shape they share
(``SettingsPage``: ``load()`` / ``check()`` / ``save()``)."""
