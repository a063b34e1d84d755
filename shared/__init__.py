"""Cascade's shared kernel: contracts and the runtime every service uses (subjects, settings, storage, bus)."""
