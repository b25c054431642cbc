"""L2: simplify."""
