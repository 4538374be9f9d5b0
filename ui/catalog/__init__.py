"""事项目录: the catalog browser every role consults, and the guide editor of admins and chief representatives."""
