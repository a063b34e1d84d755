"""Notices: the directory of org units, notices and their asks, inboxes, receipts, 文号 sequences."""
