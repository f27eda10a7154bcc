"""kindops: the lab's SRE jobs, one CLI, no Airflow import."""

__version__ = "0.1.0"
