"""The orders HTTP API (FastAPI)."""
