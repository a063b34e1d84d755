"""Submissions: what units send back against asks, and the deadline schedule of who still owes what."""
