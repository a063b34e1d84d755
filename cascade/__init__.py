"""The ``cascade`` command and the node tooling: node config, nats-server config, federation set-up,
provisioning, starting a node's processes (``cascade up``), the demo, healthchecks, admin set-up.

Above the services: it may import them; nothing under shared/ or services/ imports it.
"""
