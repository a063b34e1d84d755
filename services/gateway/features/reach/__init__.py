"""Reaching people where they are (issue 15): the personal link page (public, authenticated by the link), the
units' choice of a daily digest, and the node admin's revocation of links."""
