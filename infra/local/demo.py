"""The lab's local demo (`make demo`): embedded defaults, no cluster, no cloud account.

1. A local AWS-API server (moto, over HTTP on loopback) seeded with a realistic lab inventory.
2. The `aws_cleanup` DAG run by `airflow dags test` on the local runner — a dry run: it plans,
   reports and checks the budgets; nothing is deleted.
3. app-python's API and worker against a local AWS-API server, following one traced order.

Every process it starts is stopped when it ends, also on failure or Ctrl-C.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from kindops.errors import KindopsError
from kindops.localproc import MotoServer, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
console = Console(highlight=False, soft_wrap=True)


def step(text: str) -> None:
    console.print(f"\n[bold cyan]==> {text}[/]")


def run(
    args: list[str], env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, env=env, cwd=ROOT, text=True, capture_output=True)
    if check and proc.returncode != 0:
        console.print(proc.stdout[-4000:], proc.stderr[-4000:], markup=False)
        raise SystemExit(f"error: {' '.join(args[:4])} exited {proc.returncode}")
    return proc


def airflow_env(base: dict[str, str]) -> dict[str, str]:
    home = ROOT / ".airflow" / "demo"
    home.mkdir(parents=True, exist_ok=True)
    return {
        **base,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "KINDOPS_RUNNER": "local",
    }


def task_states(env: dict[str, str], dag_id: str) -> list[tuple[str, str]]:
    """The latest run's task states, in the order the tasks started."""
    db = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = "
            "(SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1) "
            "ORDER BY start_date IS NULL, start_date",
            (dag_id, dag_id),
        ).fetchall()
    return [(str(t), str(s)) for t, s in rows]


def aws_cleanup_demo(artifacts: Path) -> None:
    step("Starting a local AWS-API server and seeding a lab inventory")
    with MotoServer() as aws:
        env = {**os.environ, **aws.env(), "KINDOPS_ARTIFACTS": str(artifacts)}
        seeded = run([str(BIN / "kindops"), "aws", "seed-demo"], env)
        console.print(seeded.stdout.strip(), markup=False)

        step("Running the aws_cleanup DAG with `airflow dags test` on the local runner (dry run)")
        env = airflow_env(env)
        run([str(BIN / "airflow"), "db", "migrate"], env)
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        dag = run([str(BIN / "airflow"), "dags", "test", "aws_cleanup", day], env, check=False)
        for task, state in task_states(env, "aws_cleanup"):
            colour = {"success": "green", "skipped": "yellow"}.get(state, "red")
            console.print(f"  {task:<14} [{colour}]{state}[/]")
        if dag.returncode != 0:
            console.print(
                "[yellow]A failed task here is a bad verdict, not a crash: the seeded inventory "
                "has invalid tags (report, exit 1) and spend near its budget (budget, exit 1). "
                "The reports below say why.[/]"
            )

    step("Where the evidence is")
    day = datetime.now(UTC).strftime("%Y%m%d")
    runs = sorted(p for p in artifacts.glob(f"aws-*/aws_cleanup_{day}*") if p.is_dir())
    for folder in runs:
        for file in sorted(folder.iterdir()):
            console.print(f"  {file}", markup=False)
    for title, pattern, lines in (
        ("The plan", f"aws-cleanup/aws_cleanup_{day}*/plan.md", 30),
        ("The budget check", f"aws-budget/aws_cleanup_{day}*/budget.md", 20),
    ):
        found = sorted(artifacts.glob(pattern))
        if found:
            step(f"{title} ({found[-1]})")
            console.print("\n".join(found[-1].read_text().splitlines()[:lines]), markup=False)


def orders_demo() -> None:
    step("app-python: API + worker against a local AWS-API server, one traced order")
    script = ROOT / "apps/app-python/scripts/run-local.sh"
    env = {**os.environ, "PATH": f"{ROOT / '.tools/bin'}:{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [str(script), "--exit-after-demo", "--api-port", str(free_port())], env=env, cwd=ROOT
    )
    if proc.returncode != 0:
        raise SystemExit(f"error: the orders demo exited {proc.returncode}")


def main() -> None:
    artifacts = Path(os.environ.get("KINDOPS_ARTIFACTS", ROOT / "artifacts")).resolve()
    artifacts.mkdir(parents=True, exist_ok=True)
    try:
        aws_cleanup_demo(artifacts)
    except KindopsError as exc:  # the local AWS-API server is missing or did not start
        raise SystemExit(f"error: {exc}") from None
    orders_demo()
    step("Done")
    console.print(
        f"Artifacts: {artifacts}\nNext: `make airflow` to run every DAG from the UI.", markup=False
    )


if __name__ == "__main__":
    main()
