"""督查: the supervisor's desk — 今日概览, 差评整改, 评价统计, 解锁取件码 and the evaluation settings."""
