"""Linking nodes: leafnode config blocks and stream sources between parent and child.

Placeholder for the single-node slice: no links yet. The federation work
(issue 5) fills in leafnode remotes, per-child users with permissions, and the
sourcing of EVENTS from neighbours' OUTBOX streams.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .node import NodeConfig


def leafnode_blocks(cfg: "NodeConfig") -> tuple[list[str], list[str], list[str]]:
    """(listen lines, remote lines, child user entries) for the nats-server config."""
    if cfg.parent or cfg.children:
        raise NotImplementedError("node links arrive with the federation work")
    return [], [], []


def stream_configs(cfg: "NodeConfig") -> list:
    """OUTBOX and the sources of EVENTS for the node's links (none without links)."""
    return []
