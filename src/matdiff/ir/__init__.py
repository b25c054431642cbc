"""L1: the expression core — the op table, interned nodes and their constructors."""

from .nodes import Node, make
from .ops import ELEMENTWISE_FUNCTIONS, OPS, SURFACE_FUNCTIONS, OpSpec

__all__ = ["ELEMENTWISE_FUNCTIONS", "OPS", "SURFACE_FUNCTIONS", "Node", "OpSpec", "make"]
