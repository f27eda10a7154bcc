"""k6 load-test baselines: run a scenario, compare it with its history, gate, report, push.

k6 OSS has no run-to-run comparison; this package gives the lab one. See ``README.md`` here.
"""
