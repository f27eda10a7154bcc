"""The functions behind ``kindops backup ...``: one per command, each returning a Result.

Archives live in the artifact store under ``backups/`` (``KINDOPS_BACKUP_PREFIX``) as
``<YYYY-MM-DD>T<HHMMSS>Z.tar.gz``, named after the run's logical date (``KINDOPS_RUN_ID``) so a
rerun of the same date replaces the same archive, atomically. ``verify`` records its verdict in
``<archive>.verified.json``; ``prune`` only trusts a marker whose checksum matches the archive.
"""

from __future__ import annotations

import json
import logging
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindops.backup import archive, grafana, metrics, retention
from kindops.backup.config import BackupSettings, LoadedConfig, load_config, validate_config
from kindops.errors import ConfigError
from kindops.result import Context, Result, now
from kindops.settings import load

if TYPE_CHECKING:
    from kindops.backup.kube import KubeClient

RUN = "backup.run"
log = logging.getLogger(__name__)


def settings() -> BackupSettings:
    return load(BackupSettings)


def kube_client(env: BackupSettings, cfg: LoadedConfig) -> KubeClient:
    # Imported on use: the Kubernetes client is slow to import and verify/prune/list
    # never talk to the cluster.
    from kindops.backup.kube import KubeClient

    k = cfg.config.kubernetes
    return KubeClient.from_environment(
        env.kubeconfig, env.kube_context, timeout=k.timeout_seconds, retries=k.retries
    )


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


# -- run --------------------------------------------------------------------------------------
def run(ctx: Context, config_path: str | None) -> Result:
    env = settings()
    loaded = load_config(config_path, env)
    cfg = loaded.config
    from kindops.backup.export import collect

    kube = kube_client(env, loaded)
    collection = collect(kube, cfg)
    members = list(collection.members)

    grafana_mode = cfg.grafana.mode()
    grafana_url = env.grafana_url.strip()
    if grafana_mode == "true" and not grafana_url:
        raise ConfigError("grafana.enabled is true but KINDOPS_GRAFANA_URL is not set")
    if grafana_url and grafana_mode != "false":
        client = grafana.Grafana(grafana_url, env.grafana_bearer(), cfg.grafana.timeout_seconds)
        members += grafana.export(client, cfg.grafana.page_size)

    logical = archive.run_time(ctx.settings.run_id, ctx.started_at)
    name = archive.archive_name(logical)
    key = f"{env.backup_prefix.strip('/')}/{name}"
    created = now()
    manifest = archive.build_manifest(
        members,
        name=name,
        logical_time=logical,
        created_at=created,
        source={
            "cluster": cfg.cluster_name or kube.cluster_name,
            "server": kube.server,
            "grafana": grafana_url if grafana_url and grafana_mode != "false" else "",
        },
        config={**loaded.ref(), "effective": cfg.model_dump(mode="json")},
        skipped=collection.skipped,
        ignored=dict(collection.ignored),
    )
    data = archive.write_archive(members, manifest, int(logical.timestamp()))
    check = archive.verify(data)
    if not check.ok:  # never publish what cannot be read back
        raise ConfigError(f"{name}: the archive failed its own check: {check.problems[0]}")
    url = ctx.store.write_bytes(key, data)
    ctx.store.delete(key + archive.MARKER_SUFFIX)  # a marker describes the replaced bytes

    counts = manifest["counts"]
    pushed: dict[str, Any] = {"url": env.pushgateway_url, "pushed": False}
    if env.pushgateway_url:
        error = metrics.push_run(
            env.pushgateway_url, finished=now().timestamp(), size=len(data), objects=len(members)
        )
        pushed.update(pushed=error is None, error=error or "", metrics=list(metrics.RUN_METRICS))
    summary = (
        f"{key}: {len(members)} files (kubernetes {counts['kubernetes']}, "
        f"grafana {counts['grafana']}), {_human(len(data))}"
    )
    if collection.skipped:
        summary += "; skipped " + ", ".join(
            f"{s['resource']}{' in ' + s['namespace'] if s.get('namespace') else ''} "
            f"({s['reason'].split(':')[0]})"
            for s in collection.skipped
        )
    if collection.unmatched_includes:
        summary += "; include entries matching no kind: " + ", ".join(collection.unmatched_includes)
    return Result(
        RUN,
        "ok",
        summary,
        data={
            "archive": key,
            "sha256": archive.sha256(data),
            "size": len(data),
            "counts": counts,
            "skipped": collection.skipped,
            "unmatched_includes": collection.unmatched_includes,
            "metrics": pushed,
        },
        artifacts={"archive": url},
    )


# -- locating archives ------------------------------------------------------------------------
def archive_keys(ctx: Context, prefix: str) -> list[str]:
    """Archive keys in the store, oldest first (names sort by time)."""
    keys = [
        k
        for k in ctx.store.list(prefix)
        if archive.archive_time(k) is not None and posixpath.dirname(k) == prefix
    ]
    return sorted(keys, key=posixpath.basename)


def resolve(
    ctx: Context, env: BackupSettings, ref: str | None, latest: bool, this_run: bool
) -> tuple[str, bytes, bool]:
    """(label, bytes, in_store) of the archive a command names."""
    prefix = env.backup_prefix.strip("/")
    chosen = sum(bool(x) for x in (ref, latest, this_run))
    if chosen != 1:
        raise ConfigError("name exactly one archive: ARCHIVE, --latest or --run")
    if latest:
        keys = archive_keys(ctx, prefix)
        if not keys:
            raise ConfigError(f"no backups in {ctx.store.url(prefix)}")
        return keys[-1], ctx.store.read_bytes(keys[-1]), True
    if this_run:
        if not ctx.settings.run_id:
            raise ConfigError("--run needs KINDOPS_RUN_ID (set by the DAG)")
        key = f"{prefix}/{archive.archive_name(archive.run_time(ctx.settings.run_id, now()))}"
        return key, ctx.store.read_bytes(key), True
    assert ref is not None
    for key in (ref, f"{prefix}/{ref}"):
        try:
            if ctx.store.exists(key):
                return key, ctx.store.read_bytes(key), True
        except ConfigError:
            continue
    local = Path(ref)
    if local.is_file():
        return str(local), local.read_bytes(), False
    raise ConfigError(f"archive {ref!r} not found (in {ctx.store.url(prefix)} or on disk)")


# -- verify -----------------------------------------------------------------------------------
def verify(ctx: Context, ref: str | None, latest: bool, this_run: bool) -> Result:
    env = settings()
    label, data, in_store = resolve(ctx, env, ref, latest, this_run)
    check = archive.verify(data)
    files = len((check.manifest or {}).get("files") or [])
    marker: dict[str, Any] = {
        "archive": label,
        "sha256": archive.sha256(data),
        "size": len(data),
        "verified_at": now().isoformat(),
        "ok": check.ok,
        "problems": check.problems,
        "files": files,
        "tool_version": (check.manifest.get("tool") or {}).get("version", ""),
    }
    artifacts = {}
    if in_store:
        artifacts["marker"] = ctx.store.write_json(label + archive.MARKER_SUFFIX, marker)
    if check.ok and env.pushgateway_url:
        metrics.push_verified(env.pushgateway_url, verified=now().timestamp())
    if check.ok:
        return Result(
            "backup.verify",
            "ok",
            f"{label}: OK, {files} files match the manifest",
            data=marker,
            artifacts=artifacts,
        )
    shown = "; ".join(check.problems[:5])
    more = f" (+{len(check.problems) - 5} more)" if len(check.problems) > 5 else ""
    return Result(
        "backup.verify", "bad", f"{label}: CORRUPT: {shown}{more}", data=marker, artifacts=artifacts
    )


def _verified(ctx: Context, key: str) -> bool:
    marker_key = key + archive.MARKER_SUFFIX
    if not ctx.store.exists(marker_key):
        return False
    try:
        marker = ctx.store.read_json(marker_key)
    except ConfigError:
        return False
    return bool(marker.get("ok")) and marker.get("sha256") == archive.sha256(
        ctx.store.read_bytes(key)
    )


# -- list and prune ---------------------------------------------------------------------------
def list_backups(ctx: Context) -> Result:
    env = settings()
    prefix = env.backup_prefix.strip("/")
    rows = []
    for key in reversed(archive_keys(ctx, prefix)):
        marker_key = key + archive.MARKER_SUFFIX
        state = "unverified"
        if ctx.store.exists(marker_key):
            state = "verified" if _verified(ctx, key) else "failed or stale verification"
        rows.append({"archive": key, "state": state})
    summary = f"{len(rows)} backups in {ctx.store.url(prefix)}" + "".join(
        f"\n  {r['archive']}  {r['state']}" for r in rows
    )
    return Result("backup.list", "ok", summary, data={"backups": rows})


def prune(
    ctx: Context, config_path: str | None, apply: bool, overrides: dict[str, int | None]
) -> Result:
    env = settings()
    loaded = load_config(config_path, env)
    policy_doc = loaded.config.retention.model_dump()
    policy_doc.update({k: v for k, v in overrides.items() if v is not None})
    doc = loaded.config.model_dump(mode="json")
    doc["retention"] = policy_doc
    policy = validate_config(doc, "--daily/--weekly/--monthly").retention

    prefix = env.backup_prefix.strip("/")
    keys = archive_keys(ctx, prefix)
    by_time = {archive.archive_time(k): k for k in keys}
    times = [t for t in by_time if t is not None]
    verified = None
    for t in sorted(times, reverse=True):
        if _verified(ctx, by_time[t]):
            verified = t
            break
    decision = retention.decide(times, [verified] if verified else [], policy)
    keep = [{"archive": by_time[t], "reasons": r} for t, r in sorted(decision.keep.items())]
    delete = [{"archive": by_time[t], "reason": r} for t, r in sorted(decision.delete.items())]
    if apply:
        for item in delete:
            ctx.store.delete(item["archive"])
            ctx.store.delete(item["archive"] + archive.MARKER_SUFFIX)
            log.info("backup deleted", extra=item)
    live = set(keys) - ({d["archive"] for d in delete} if apply else set())
    orphans = [
        k
        for k in ctx.store.list(prefix)
        if k.endswith(archive.MARKER_SUFFIX) and k.removesuffix(archive.MARKER_SUFFIX) not in live
    ]
    if apply:
        for k in orphans:
            ctx.store.delete(k)
    verb = "deleted" if apply else "would delete"
    summary = (
        f"{'' if apply else 'DRY RUN: '}{len(keys)} backups, keep {len(keep)}, {verb} {len(delete)}"
    )
    if verified is None and keys:
        summary += " (no verified backup: nothing is pruned until one is verified)"
    summary += "".join(f"\n  {verb}: {d['archive']} ({d['reason']})" for d in delete)
    summary += "".join(f"\n  keep: {k['archive']} ({', '.join(k['reasons'])})" for k in keep)
    return Result(
        "backup.prune",
        "ok",
        summary,
        data={
            "dry_run": not apply,
            "policy": policy.model_dump(),
            "newest_verified": by_time[verified] if verified else None,
            "keep": keep,
            "delete": delete,
            "orphan_markers": orphans,
        },
    )


# -- restore plan -----------------------------------------------------------------------------
def restore_plan(
    ctx: Context, ref: str | None, latest: bool, server_dry_run: bool, diff: bool, force: bool
) -> Result:
    from kindops.backup import restore
    from kindops.backup.kube import KubeClient

    env = settings()
    label, data, _ = resolve(ctx, env, ref, latest, False)
    check = archive.verify(data)
    if not check.ok:
        return Result(
            "backup.restore-plan",
            "bad",
            f"{label}: CORRUPT, no plan: {'; '.join(check.problems[:5])}",
            data={"problems": check.problems},
        )
    manifest = check.manifest
    steps = restore.plan(manifest)
    gsteps = restore.grafana_plan(manifest)
    dry = drift = None
    if server_dry_run or diff:
        effective = (manifest.get("config") or {}).get("effective")
        if not isinstance(effective, dict):
            raise ConfigError(f"{label}: the manifest has no effective config to compare with")
        cfg = validate_config(effective, f"{label}:manifest.json")
        kube = KubeClient.from_environment(
            env.kubeconfig,
            env.kube_context,
            timeout=cfg.kubernetes.timeout_seconds,
            retries=cfg.kubernetes.retries,
        )
        if server_dry_run:
            dry = restore.server_dry_run(kube, steps, check.files, force=force)
        if diff:
            drift = restore.drift(kube, cfg, check.files, manifest)
    name = posixpath.basename(label)
    doc: dict[str, Any] = {
        "archive": label,
        "source": manifest.get("source"),
        "steps": [s.doc() for s in steps],
        "grafana": gsteps,
        "dry_run": dry.results if dry else None,
        "drift": {**drift.doc(), "diffs": drift.changed} if drift else None,
    }
    job = "backup.restore-plan"
    artifacts = {
        "plan": ctx.store.write_text(ctx.key(job, "plan.json"), json.dumps(doc, indent=2) + "\n"),
        "plan_md": ctx.store.write_text(
            ctx.key(job, "plan.md"), restore.markdown(name, steps, gsteps, dry, drift)
        ),
    }
    phases = {p: sum(s.phase == p for s in steps) for p in restore.PHASES}
    summary = (
        f"{label}: {len(steps)} steps ("
        + ", ".join(f"{p} {n}" for p, n in phases.items() if n)
        + ")"
    )
    verdict: Any = "ok"
    if dry is not None:
        ok, deferred = len(dry.outcome("ok")), len(dry.outcome("deferred"))
        summary += f"; server dry run: {ok} ok, {deferred} deferred, {len(dry.failed)} would fail"
        if dry.forbidden:
            summary += (
                f", {len(dry.forbidden)} forbidden to this identity, not checked "
                f"({', '.join(dry.forbidden_kinds())})"
            )
        summary += "".join(
            f"\n  would fail: step {r['step']} {r['object']}: {r['reason']}" for r in dry.failed
        )
        if dry.failed:
            verdict = "bad"
        elif steps and dry.checked == 0:
            # An identity that may apply nothing proves nothing: never a silent pass.
            verdict = "bad"
            summary += "\n  the dry run checked nothing: every object was forbidden"
    if drift is not None:
        summary += (
            f"; drift: {len(drift.added)} added, {len(drift.removed)} removed, "
            f"{len(drift.changed)} changed"
        )
    return Result(job, verdict, summary, data=doc, artifacts=artifacts)
