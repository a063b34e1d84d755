"""Gateway: the node's web UI and HTTP API. Owns only users and sessions; talks to services over NATS."""
