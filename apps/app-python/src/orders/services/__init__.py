"""Use cases: creating orders, processing them, and the shared fault flags."""
