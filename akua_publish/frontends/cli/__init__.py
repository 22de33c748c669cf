"""frontends.cli."""
