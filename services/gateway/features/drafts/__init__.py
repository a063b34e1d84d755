"""Drafts (拟稿), 签发 and 会签: the JSON API (api.py) and the pages (pages.py)."""
