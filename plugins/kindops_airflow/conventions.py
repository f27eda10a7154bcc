"""Conventions every kindops-lab DAG follows (checked by tests/dags/test_policy.py)."""

from __future__ import annotations

#: The one approved list of DAG tags.
APPROVED_TAGS = frozenset(
    {
        "aws",
        "backup",
        "chaos",
        "cleanup",
        "finops",
        "gameday",
        "load-testing",
        "observability",
        "reliability",
        "reporting",
        "slo",
    }
)

#: Owners a DAG may name in default_args.
OWNERS = frozenset({"platform", "sre"})
