"""SLOs as code: specs (``observability/slos``), generated rules, error-budget reports and gates.

See ``kindops/slo/README.md``. The remaining-budget gate for risky runs is
:func:`kindops.slo.budget.remaining_budget`.
"""
