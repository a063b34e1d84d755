"""下级进度: how each level that forwarded a notice stands, opened level by level (routes.py)."""
