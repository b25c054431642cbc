"""L2: codegen."""
