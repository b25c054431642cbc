"""L2: parse."""
