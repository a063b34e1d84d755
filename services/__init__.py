"""Cascade's services: each its own process, database and FastStream app."""
