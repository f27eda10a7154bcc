"""Airflow plugin: every finished task's outcome, as Airflow saw it, pushed to the Pushgateway.

The listener is :mod:`kindops_airflow.listener` (what it pushes, where, and when; ADR 0010).
Airflow loads this module from the plugins folder in the scheduler, the API server and every
task's process, so a task that dies before its job can report still reports.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from kindops_airflow import listener


class KindopsOutcomesPlugin(AirflowPlugin):
    name = "kindops_outcomes"
    listeners = [listener]  # noqa: RUF012 (AirflowPlugin's own attribute, a list)
