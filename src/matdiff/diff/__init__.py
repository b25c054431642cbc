"""L2: diff."""
