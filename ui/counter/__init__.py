"""综合受理: the clerk's counter desk — the intake form, the materials checklist, 今日办件 and its dialogs."""
