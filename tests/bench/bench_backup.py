"""Config backup benchmark: a backup of 2,000 objects vs 200, served by the local fake API.

Times the whole `backup run` job (discovery, paginated lists, cleaning, YAML, archive, atomic
publish) in-process, best of a few rounds, and prints the figures and their ratio side by side.
Grafana is left out so that only the Kubernetes side scales. Run: `uv run python
tests/bench/bench_backup.py`.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 3


def load_fakes() -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # the fakes' JSON handler base: tests.support.http
    path = ROOT / "include" / "tests" / "backup" / "backup_fakeapi.py"
    spec = importlib.util.spec_from_file_location("backup_fakeapi", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["backup_fakeapi"] = module
    spec.loader.exec_module(module)
    return module


def one_backup(fakes: ModuleType, objects: int, tmp: Path) -> tuple[float, int, int]:
    """Seconds, archived objects and archive bytes of one backup of ``objects`` ConfigMaps."""
    from kindops.artifacts import ArtifactStore
    from kindops.backup import jobs
    from kindops.result import Context
    from kindops.settings import KindopsSettings

    cluster: Any = fakes.FakeCluster(objects={"namespaces": fakes.bulk_namespaces(20)})
    cluster.add("configmaps", fakes.bulk_configmaps(objects, namespaces=20))
    with fakes.Servers(cluster) as servers:
        kubeconfig = servers.kubeconfig(tmp / "kubeconfig")
        os.environ.update(
            {
                "KINDOPS_KUBECONFIG": str(kubeconfig),
                "KINDOPS_GRAFANA_URL": "",
                "KINDOPS_PUSHGATEWAY_URL": "",
            }
        )
        store_root = tmp / f"store-{objects}"
        settings = KindopsSettings(artifacts=str(store_root), run_id="bench/20260115T000000")
        ctx = Context(settings, ArtifactStore(str(store_root)), "bench", datetime.now(UTC))
        start = time.perf_counter()
        result = jobs.run(ctx, None)
        elapsed = time.perf_counter() - start
    return elapsed, int(result.data["counts"]["kubernetes"]), int(result.data["size"])


def main() -> None:
    fakes = load_fakes()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        one_backup(fakes, 10, Path(tmp))  # warm-up: imports, connection pools
        for objects in (200, 2000):
            runs = [one_backup(fakes, objects, Path(tmp)) for _ in range(ROUNDS)]
            best = min(r[0] for r in runs)
            rows.append(
                (objects, best, statistics.median(r[0] for r in runs), runs[0][1], runs[0][2])
            )
    print(
        f"{'objects':>8} {'exported':>9} {'best s':>8} {'median s':>9} {'ms/object':>10} "
        f"{'archive KiB':>12}"
    )
    for objects, best, median, exported, size in rows:
        print(
            f"{objects:>8} {exported:>9} {best:>8.3f} {median:>9.3f} "
            f"{1000 * best / exported:>10.3f} {size / 1024:>12.1f}"
        )
    small, large = rows[0], rows[1]
    print(
        f"ratio 2000/200: objects x{large[3] / small[3]:.2f}, time x{large[1] / small[1]:.2f}, "
        f"archive size x{large[4] / small[4]:.2f}"
    )


if __name__ == "__main__":
    main()
