"""Every service's contract: its actions, request and reply models, declared once (base.py explains)."""
