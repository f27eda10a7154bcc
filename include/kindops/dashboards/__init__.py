"""Grafana dashboards as code.

Each dashboard is one module here with a ``UID`` and a ``build()`` returning a Grafana
foundation SDK dashboard builder; :mod:`kindops.dashboards.catalog` lists them and
``kindops dashboards generate`` writes each as ``observability/grafana/dashboards/<uid>.json``
(committed; ``--check`` fails when a file differs from its code). See
observability/README.md, "Dashboards", for adding one.
"""
