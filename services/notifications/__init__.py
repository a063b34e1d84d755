"""Notifications: contacts' channel preferences, the delivery log, templates; alerts triggered by events."""
