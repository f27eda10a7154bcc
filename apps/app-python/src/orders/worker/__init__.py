"""The orders worker: long-polls the orders queue and processes each order."""
