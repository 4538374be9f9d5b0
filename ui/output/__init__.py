"""统一出件: the output desk — hand-over against the signed slip, 登记补交, and 容缺催补."""
