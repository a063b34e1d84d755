"""导入公文: a received 公文 (upload or paste) read by the notices service and made a draft to review — the JSON API
(api.py), the pages (pages.py), the draft it becomes (drafting.py), the steps (importing.py) and what a person
has checked of it (reviews.py)."""
