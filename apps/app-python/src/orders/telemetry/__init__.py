"""OpenTelemetry for the orders API and worker: set-up, declarations, logs, propagation."""
