from __future__ import annotations

import re

from orders.telemetry import semconv
from orders.telemetry.semconv import InstrumentKind, prometheus_names


def test_every_metric_is_declared_once_with_a_unit() -> None:
    names = [spec.name for spec in semconv.METRICS]
    assert len(names) == len(set(names))
    for spec in semconv.METRICS:
        assert spec.unit, spec.name
        assert spec.description, spec.name
        assert spec.emitted_by, spec.name
        assert re.fullmatch(r"[a-z][a-z0-9_.]*", spec.name), spec.name
        if spec.buckets:
            assert spec.kind is InstrumentKind.HISTOGRAM, spec.name
            assert list(spec.buckets) == sorted(set(spec.buckets))


def test_metric_attributes_are_bounded_keys() -> None:
    for spec in semconv.METRICS:
        assert semconv.ORDER_ID not in spec.attributes, "order ids would explode cardinality"


def test_latency_buckets_have_an_edge_at_the_slo_threshold() -> None:
    assert 0.3 in semconv.LATENCY_BUCKETS


def test_prometheus_names_follow_the_collector_translation() -> None:
    assert prometheus_names(semconv.ORDERS_PROCESSED) == ("orders_processed_total",)
    assert prometheus_names(semconv.ORDERS_FAILED) == ("orders_failed_total",)
    assert prometheus_names(semconv.HTTP_SERVER_REQUEST_DURATION) == (
        "http_server_request_duration_seconds_bucket",
        "http_server_request_duration_seconds_sum",
        "http_server_request_duration_seconds_count",
    )
    assert prometheus_names(semconv.ORDERS_QUEUE_OLDEST_AGE) == ("orders_queue_oldest_age_seconds",)
    assert prometheus_names(semconv.ORDERS_QUEUE_MESSAGES) == ("orders_queue_messages",)
    assert semconv.prometheus_label("http.response.status_code") == "http_response_status_code"
