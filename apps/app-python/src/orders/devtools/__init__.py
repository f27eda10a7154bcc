"""Local-lab helpers: an OTLP sink, a process orchestrator for a local stack (AWS-API server,
API, worker), the demo, the k6 smoke runner and the bench. Used by the tests and scripts; the
running services never import this package."""
