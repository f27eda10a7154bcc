"""What every kindops dashboard shares: datasource references, units, panel shorthands.

Dashboards are built with Grafana's own builder library (``grafana-foundation-sdk``); the
shorthands here only fix the lab's conventions (datasource UIDs, exemplars on latency panels,
legend as a table, thresholds in one place) so a dashboard module reads like its layout.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import logs as logs_panel
from grafana_foundation_sdk.builders import loki as loki_query
from grafana_foundation_sdk.builders import prometheus as prom_query
from grafana_foundation_sdk.builders import stat as stat_panel
from grafana_foundation_sdk.builders import table as table_panel
from grafana_foundation_sdk.builders import timeseries as ts_panel
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DashboardLinkType,
    DataSourceRef,
    DataTransformerConfig,
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    VariableOption,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

#: Datasource UIDs: the contract with observability/grafana/provisioning/datasources.
PROMETHEUS_UID = "prometheus"
LOKI_UID = "loki"
TEMPO_UID = "tempo"
ALERTMANAGER_UID = "alertmanager"

PROMETHEUS = DataSourceRef(type_val="prometheus", uid=PROMETHEUS_UID)
LOKI = DataSourceRef(type_val="loki", uid=LOKI_UID)

#: Every kindops dashboard carries this tag (dashboard links and the folder search use it).
TAG = "kindops"

GREEN, YELLOW, ORANGE, RED = "green", "yellow", "orange", "red"


def thresholds(base: str, *steps: tuple[float, str]) -> db.ThresholdsConfig:
    """Absolute thresholds: ``base`` colour below the first step."""
    return (
        db.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(None, base), *(Threshold(v, c) for v, c in steps)])
    )


def board(uid: str, title: str, description: str, tags: Sequence[str]) -> db.Dashboard:
    """A dashboard with the lab's header: uid, tags, 1h window, 30s refresh, shared crosshair,
    and a link menu to the other kindops dashboards."""
    return (
        db.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG, *tags])
        .time("now-1h", "now")
        .refresh("30s")
        .timezone("browser")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .readonly()
        .link(
            db.DashboardLink("kindops")
            .type(DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )


#: The value Grafana stores for "All"; the PromQL test substitutes the variable's all_value.
ALL = "$__all"
ALL_TEXT = {ALL: "All"}


def query_variable(
    name: str, label: str, query: str, default: str, *, multi: bool = False
) -> db.QueryVariable:
    """A Prometheus label-values variable; ``default`` is what a fresh dashboard shows (and
    what the PromQL test substitutes)."""
    variable = (
        db.QueryVariable(name)
        .label(label)
        .datasource(PROMETHEUS)
        .query(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .current(VariableOption(selected=True, text=ALL_TEXT.get(default, default), value=default))
    )
    if multi:
        variable = variable.multi(True).include_all(True).all_value(".*")
    return variable


def prom(
    expr: str, legend: str = "", *, instant: bool = False, exemplar: bool = False
) -> prom_query.Dataquery:
    query = prom_query.Dataquery().expr(expr).datasource(PROMETHEUS)
    if legend:
        query = query.legend_format(legend)
    if instant:
        query = query.instant().format(PromQueryFormat.TABLE)
    if exemplar:
        query = query.exemplar(True)
    return query


def timeseries(
    title: str,
    description: str,
    unit: str,
    queries: Sequence[prom_query.Dataquery],
    *,
    width: int = 12,
    height: int = 8,
    stacked: bool = False,
    steps: Sequence[tuple[float, str]] = (),
    minimum: float | None = 0,
) -> ts_panel.Panel:
    panel = (
        ts_panel.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .targets(list(queries))
        .unit(unit)
        .span(width)
        .height(height)
        .line_width(1)
        .fill_opacity(10 if not stacked else 30)
        .show_points(cm.VisibilityMode.NEVER)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(cm.LegendDisplayMode.TABLE)
            .placement(cm.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["mean", "max", "lastNotNull"])
        )
        .tooltip(common_builders.VizTooltipOptions().mode(cm.TooltipDisplayMode.MULTI))
    )
    if minimum is not None:
        panel = panel.min(minimum)
    if stacked:
        panel = panel.stacking(common_builders.StackingConfig().mode(cm.StackingMode.NORMAL))
    if steps:
        panel = panel.thresholds(thresholds(GREEN, *steps)).thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(cm.GraphThresholdsStyleMode.DASHED)
        )
    return panel


def stat(
    title: str,
    description: str,
    unit: str,
    query: prom_query.Dataquery,
    *,
    base: str = GREEN,
    steps: Sequence[tuple[float, str]] = (),
    width: int = 6,
    height: int = 5,
    decimals: float | None = None,
) -> stat_panel.Panel:
    panel = (
        stat_panel.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .with_target(query)
        .unit(unit)
        .span(width)
        .height(height)
        .color_mode(cm.BigValueColorMode.BACKGROUND)
        .graph_mode(cm.BigValueGraphMode.AREA)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]))
        .thresholds(thresholds(base, *steps))
    )
    if decimals is not None:
        panel = panel.decimals(decimals)
    return panel


def table(
    title: str,
    description: str,
    unit: str,
    queries: Sequence[prom_query.Dataquery],
    *,
    hide: Sequence[str] = ("Time",),
    rename: dict[str, str] | None = None,
    units: dict[str, str] | None = None,
    width: int = 12,
    height: int = 8,
    steps: Sequence[tuple[float, str]] = (),
) -> table_panel.Panel:
    """A table of instant queries merged on their labels; ``Value`` columns renamed; ``units``
    overrides ``unit`` per (renamed) column."""
    excluded = dict.fromkeys(hide, True)
    panel = (
        table_panel.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .targets(list(queries))
        .unit(unit)
        .span(width)
        .height(height)
        .with_transformation(DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(
            DataTransformerConfig(
                id_val="organize",
                options={"excludeByName": excluded, "renameByName": rename or {}},
            )
        )
    )
    for column, column_unit in (units or {}).items():
        panel = panel.override_by_name(column, [DynamicConfigValue("unit", column_unit)])
    if steps:
        panel = panel.thresholds(thresholds(GREEN, *steps))
    return panel


def logs(
    title: str, description: str, expr: str, *, width: int = 24, height: int = 10
) -> logs_panel.Panel:
    """Loki logs; each line links to its trace through the datasource's derived fields."""
    return (
        logs_panel.Panel()
        .title(title)
        .description(description)
        .datasource(LOKI)
        .with_target(loki_query.Dataquery().expr(expr).datasource(LOKI).max_lines(500))
        .span(width)
        .height(height)
        .show_time(True)
        .wrap_log_message(True)
        .enable_log_details(True)
        .sort_order(cm.LogsSortOrder.DESCENDING)
    )


def row(title: str) -> db.Row:
    return db.Row(title)
