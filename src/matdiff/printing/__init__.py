"""L2: printing."""
