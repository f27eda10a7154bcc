"""Benchmark: AWS cleanup planning (pure, no API calls) over synthetic inventories.

Prints the best-of-N time to build a plan for 500 and 5,000 resources and their ratio (about 10
means planning scales linearly). Figures only; nothing is asserted.

    uv run python tests/bench/bench_aws_cleanup.py
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from kindops.aws.config import LoadedRules, Rules, Service
from kindops.aws.model import Inventory, Kind, Resource
from kindops.aws.plan import build_plan
from kindops.aws.report import plan_markdown

NOW = datetime(2025, 6, 1, tzinfo=UTC)
KINDS: list[tuple[Service, Kind]] = [
    ("sqs", "queue"),
    ("dynamodb", "table"),
    ("logs", "log-group"),
    ("s3", "bucket"),
    ("lambda", "function"),
    ("ecr", "repository"),
]
REPEAT = 7


def synthetic_inventory(size: int, seed: int = 7) -> Inventory:
    """``size`` resources: a realistic mix of expired, kept, protected, invalid, lookalike,
    and ECR repositories holding ~20 % of the resources as images."""
    rnd = random.Random(seed)
    resources: list[Resource] = []
    n = 0
    while len(resources) < size:
        n += 1
        service, kind = rnd.choice(KINDS)
        tags: dict[str, str] = {}
        if rnd.random() < 0.8:
            tags.update({"project": "kindops-lab", "env": rnd.choice(["dev", "ci", "prod"])})
        choice = rnd.random()
        if choice < 0.35:
            tags["expires-at"] = (NOW + timedelta(hours=rnd.randint(-300, 300))).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        elif choice < 0.6:
            tags["ttl"] = rnd.choice(["24h", "72h", "7d", "30d"])
        elif choice < 0.65:
            tags["ttl"] = "3 days"  # invalid
        if rnd.random() < 0.1:
            tags["keep"] = "true"
        name = f"{rnd.choice(['kindops-lab-', 'kindops-', 'app-'])}{kind}-{n}"
        protection = ["DynamoDB DeletionProtectionEnabled"] if rnd.random() < 0.05 else []
        resources.append(
            Resource(
                service=service,
                kind=kind,
                region="us-east-1",
                account="123456789012",
                name=name,
                arn=f"arn:{name}",
                tags=tags,
                created_at=NOW - timedelta(hours=rnd.randint(0, 2000)),
                size_bytes=rnd.randint(0, 2**33),
                protection=protection,
            )
        )
        if kind == "repository":
            for i in range(min(rnd.randint(0, 40), size - len(resources))):
                resources.append(
                    Resource(
                        service="ecr",
                        kind="image",
                        region="us-east-1",
                        account="123456789012",
                        name=f"{name}@sha256:{i:064x}",
                        arn=f"arn:{name}@{i}",
                        created_at=NOW - timedelta(hours=rnd.randint(0, 2000)),
                        age_basis="pushed",
                        size_bytes=rnd.randint(10**6, 10**9),
                        attributes={
                            "repository": name,
                            "digest": f"sha256:{i:064x}",
                            "image_tags": [f"v{i}"] if rnd.random() < 0.7 else [],
                        },
                    )
                )
    return Inventory(
        account="123456789012",
        regions=["us-east-1"],
        services=["sqs"],
        collected_at=NOW,
        resources=resources[:size],
    )


def best_of(size: int, loaded: LoadedRules) -> dict[str, float]:
    """Best wall and CPU time of REPEAT runs (CPU time is less disturbed by a busy machine)."""
    inventory = synthetic_inventory(size)
    wall, cpu, markdown = [], [], []
    deletions = 0
    for _ in range(REPEAT):
        start, start_cpu = time.perf_counter(), time.process_time()
        plan = build_plan(inventory, loaded, NOW)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        start = time.perf_counter()
        plan_markdown(plan)
        markdown.append(time.perf_counter() - start)
        deletions = plan.totals["delete"]
    return {"wall": min(wall), "cpu": min(cpu), "markdown": min(markdown), "delete": deletions}


def main() -> None:
    rules = Rules.model_validate({"version": 1, "regions": ["us-east-1"], "envs": ["dev", "ci"]})
    loaded = LoadedRules(rules, "bench", "0" * 64)
    best_of(100, loaded)  # warm up imports and caches
    results = {size: best_of(size, loaded) for size in (500, 5000)}
    print(f"aws cleanup plan (pure, no API calls), best of {REPEAT}:")
    for size, r in results.items():
        print(
            f"  {size:>5} resources: plan {r['wall'] * 1000:8.1f} ms wall "
            f"{r['cpu'] * 1000:8.1f} ms cpu   markdown {r['markdown'] * 1000:7.1f} ms   "
            f"({int(r['delete'])} to delete, {r['cpu'] / size * 1e6:.1f} us cpu/resource)"
        )
    wall = results[5000]["wall"] / results[500]["wall"]
    cpu = results[5000]["cpu"] / results[500]["cpu"]
    print(f"  ratio 5000/500: wall {wall:.2f}x, cpu {cpu:.2f}x (10x the resources; ~10 = linear)")


if __name__ == "__main__":
    main()
