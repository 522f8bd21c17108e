"""HTTP routers of the handoff service."""
