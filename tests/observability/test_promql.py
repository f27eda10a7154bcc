"""Every PromQL expression of the lab, evaluated by a real Prometheus on synthetic history.

The series are those the running lab exports (tests/support/synthetic.py), backfilled with
promtool; the recording rules of observability/prometheus/rules are backfilled on top
(``promtool tsdb create-blocks-from rules``, one pass per nesting level). Then:

* every query of every committed dashboard (Grafana variables and ``$__rate_interval`` /
  ``$__range`` substituted as Grafana would) must be accepted and return data;
* every recording rule must return data;
* every alert expression must be accepted, and every series selection it compares or combines
  (the operands of its ``>``/``==``/``and``/``or``..., the argument of ``absent``) must return
  data: a firing condition needs the inputs to exist, and a typo in a name or a label would
  otherwise never fire.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from tests.support.prometheus import Prometheus, backfill, backfill_rules
from tests.support.synthetic import lab_series

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "observability" / "grafana" / "dashboards"
RULES = ROOT / "observability" / "prometheus" / "rules"
STEP = 60.0
POINTS = 180  # three hours of raw history
RULES_HISTORY = 3600.0  # recorded series over the last hour

#: Grafana's built-in variables at a 1h range with a 30s scrape interval.
BUILTINS = {
    "__rate_interval": "2m",
    "__interval": "1m",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
    "__interval_ms": "60000",
}

pytestmark = pytest.mark.integration


def rule_files() -> list[Path]:
    return sorted(RULES.glob("*.yaml")) + sorted(RULES.glob("*.yml"))


def rules(kind: str) -> list[tuple[str, str]]:
    """(id, expr) of every ``record`` or ``alert`` rule of the rule files."""
    found = []
    for path in rule_files():
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for group in doc.get("groups", []):
            for rule in group.get("rules", []):
                if kind in rule:
                    found.append((f"{path.name}:{group['name']}:{rule[kind]}", rule["expr"]))
    return found


def substitute(expr: str, variables: dict[str, str]) -> str:
    """Replace ``$name``, ``${name}`` and ``[[name]]`` as Grafana does (longest names first)."""
    values = {**BUILTINS, **variables}
    for name in sorted(values, key=len, reverse=True):
        pattern = rf"\$\{{{name}(?::[a-z]+)?\}}|\[\[{name}\]\]|\${name}(?![A-Za-z0-9_])"
        expr = re.sub(pattern, values[name].replace("\\", "\\\\"), expr)
    return expr


def dashboard_variables(doc: dict[str, Any]) -> dict[str, str]:
    """Each template variable's default, "All" resolved to its allValue."""
    out = {}
    for var in doc.get("templating", {}).get("list", []):
        value = var.get("current", {}).get("value", "")
        if isinstance(value, list):
            value = value[0] if value else ""
        if value in ("$__all", "All"):
            value = var.get("allValue") or ".*"
        out[var["name"]] = value
    return out


def dashboard_queries() -> list[tuple[str, str]]:
    """(id, expr) of every Prometheus target of every committed dashboard."""
    found = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        variables = dashboard_variables(doc)
        for panel in _panels(doc):
            for target in panel.get("targets", []):
                ds = target.get("datasource") or panel.get("datasource") or {}
                if ds.get("type") != "prometheus":
                    continue
                ident = f"{doc['uid']}:{panel.get('title')}:{target.get('refId')}"
                found.append((ident, substitute(target["expr"], variables)))
    return found


def _panels(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in doc.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Prometheus, float]]:
    """A Prometheus holding three hours of synthetic lab history and the recorded series."""
    import time

    end = float(int(time.time() // 300 * 300))
    storage = tmp_path_factory.mktemp("promql") / "tsdb"
    backfill(storage, lab_series(end, POINTS, STEP), end, STEP)
    files = rule_files()
    if files:
        # the last hour is enough for instant queries at `end` (the longest windows still see
        # the whole raw history) and keeps the backfill quick
        backfill_rules(storage, files, end - RULES_HISTORY, end)
    with Prometheus(storage) as server:
        yield server, end


def returns_data(server: Prometheus, expr: str, at: float) -> bool:
    return bool(server.query(expr, at=at))


DASHBOARD_QUERIES = dashboard_queries()
RECORDS = rules("record")
ALERTS = rules("alert")


def test_the_inventory_is_not_empty() -> None:
    assert len(DASHBOARD_QUERIES) > 30
    assert {q.split(":")[0] for q, _ in DASHBOARD_QUERIES} >= {
        "kindops-red",
        "kindops-slo",
        "kindops-worker",
        "kindops-workflows",
    }
    assert RECORDS and ALERTS, "observability/prometheus/rules holds no rules"


@pytest.mark.parametrize(
    ("ident", "expr"), DASHBOARD_QUERIES, ids=[i for i, _ in DASHBOARD_QUERIES]
)
def test_dashboard_query_returns_data(
    prom: tuple[Prometheus, float], ident: str, expr: str
) -> None:
    server, at = prom
    assert "$" not in expr, f"unsubstituted variable in {expr}"
    assert returns_data(server, expr, at), f"{ident}: no data for\n{expr}"


@pytest.mark.parametrize(("ident", "expr"), RECORDS, ids=[i for i, _ in RECORDS])
def test_recording_rule_returns_data(prom: tuple[Prometheus, float], ident: str, expr: str) -> None:
    server, at = prom
    assert returns_data(server, expr, at), f"{ident}: no data for\n{expr}"


_COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}
_SET_OPS = {"and", "or", "unless"}


def _is_filter(node: Any) -> bool:
    if not isinstance(node, promql_parser.BinaryExpr):
        return False
    op = str(node.op).strip().lower()
    keeps_bool = node.modifier is not None and getattr(node.modifier, "return_bool", False)
    return op in _SET_OPS or (op in _COMPARISONS and not keeps_bool)


def _has_filter(node: Any) -> bool:
    if _is_filter(node):
        return True
    return any(_has_filter(child) for child in _children(node))


def _children(node: Any) -> list[Any]:
    if isinstance(node, promql_parser.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, promql_parser.AggregateExpr):
        return [node.expr]
    if isinstance(node, promql_parser.Call):
        return list(node.args)
    if isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr):
        return [node.expr]
    if isinstance(node, promql_parser.SubqueryExpr):
        return [node.expr]
    return []


def _is_literal(node: Any) -> bool:
    if isinstance(node, promql_parser.NumberLiteral | promql_parser.StringLiteral):
        return True
    if isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr):
        return _is_literal(node.expr)
    if isinstance(node, promql_parser.BinaryExpr):
        return _is_literal(node.lhs) and _is_literal(node.rhs)
    return False


def alert_inputs(expr: str) -> list[str]:
    """The sub-expressions of an alert that must return data on healthy history."""
    out: list[str] = []

    def visit(node: Any) -> None:
        if _is_literal(node):
            return
        if isinstance(node, promql_parser.Call) and str(node.func.name) in (
            "absent",
            "absent_over_time",
        ):
            out.append(node.args[0].prettify())
            return
        if _has_filter(node):
            for child in _children(node):
                visit(child)
            return
        out.append(node.prettify())

    visit(promql_parser.parse(expr))
    return out


@pytest.mark.parametrize(("ident", "expr"), ALERTS, ids=[i for i, _ in ALERTS])
def test_alert_expression_and_its_inputs(
    prom: tuple[Prometheus, float], ident: str, expr: str
) -> None:
    server, at = prom
    server.query(expr, at=at)  # accepted by Prometheus (raises with its message otherwise)
    inputs = alert_inputs(expr)
    assert inputs, f"{ident}: nothing to check in {expr}"
    missing = [sub for sub in inputs if not returns_data(server, sub, at)]
    assert not missing, f"{ident}: no data for\n" + "\n---\n".join(missing)


def test_alert_inputs_split_on_comparisons_and_set_operators() -> None:
    expr = (
        "sum by (job) (rate(a_total[5m])) / sum by (job) (rate(b_total[5m])) > 0.05\n"
        "and sum by (job) (rate(b_total[5m])) > 1 unless absent(c)"
    )
    got = [re.sub(r"\s+", " ", s).strip() for s in alert_inputs(expr)]
    assert got == [
        "sum by (job) (rate(a_total[5m])) / sum by (job) (rate(b_total[5m]))",
        "sum by (job) (rate(b_total[5m]))",
        "c",
    ]


def test_a_typo_in_a_selector_is_caught(prom: tuple[Prometheus, float]) -> None:
    server, at = prom
    assert returns_data(server, 'sum(orders_processed_total{job="app-python-worker"})', at)
    assert not returns_data(server, 'sum(orders_processed_total{job="app-python-wroker"})', at)


def test_substitute_handles_grafana_forms() -> None:
    got = substitute(
        'rate(x{a="$service", b=~"${route}", c="[[ns]]"}[$__rate_interval]) $__range_s',
        {"service": "s", "route": ".*", "ns": "n"},
    )
    assert got == 'rate(x{a="s", b=~".*", c="n"}[2m]) 3600'
