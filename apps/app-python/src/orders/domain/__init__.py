"""Domain: orders, quotes and fault flags — plain typed models, no I/O."""
