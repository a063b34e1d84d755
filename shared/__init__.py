"""Cascade's shared kernel: contracts, subjects, settings, storage and bus helpers, the CLI."""
