"""The real app-java (pricing API) for cross-service tests: its jar, built here when missing or
older than its sources, run as a process on a loopback port with OTLP export to a local sink."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx

from orders.devtools.stack import ManagedProcess, free_port, http_status, wait_until

APP_JAVA_DIR = Path(__file__).resolve().parents[2] / "app-java"
BUILD_COMMAND = ["mvn", "-B", "-q", "-o", "-DskipTests", "package"]
BUILD_TIMEOUT_SECONDS = 600
START_TIMEOUT_SECONDS = 180
# A short-lived JVM: C1 only, serial GC, a small heap (the settings the lab's local runner uses).
JVM_OPTIONS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m"]


class AppJavaUnavailable(RuntimeError):
    """app-java cannot be built or started here; the message says what to do."""


def _stale(jar: Path, app_dir: Path) -> bool:
    if not jar.is_file():
        return True
    built = jar.stat().st_mtime
    sources = [app_dir / "pom.xml", *(p for p in (app_dir / "src/main").rglob("*") if p.is_file())]
    return any(source.stat().st_mtime > built for source in sources)


def ensure_jar(app_dir: Path = APP_JAVA_DIR) -> Path:
    """``target/app-java.jar``, built with Maven (offline) when missing or stale."""
    jar = app_dir / "target" / "app-java.jar"
    if not (app_dir / "pom.xml").is_file():
        raise AppJavaUnavailable(f"app-java sources not found at {app_dir}")
    if not _stale(jar, app_dir):
        return jar
    if shutil.which("mvn") is None:
        raise AppJavaUnavailable(
            f"{jar} is missing or older than its sources and mvn is not on PATH "
            "(Maven 3.8+ builds it: cd apps/app-java && mvn -B -DskipTests package)"
        )
    try:
        result = subprocess.run(
            BUILD_COMMAND,
            cwd=app_dir,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AppJavaUnavailable(
            f"`{' '.join(BUILD_COMMAND)}` in {app_dir} ran longer than {BUILD_TIMEOUT_SECONDS}s"
        ) from exc
    if result.returncode != 0 or not jar.is_file():
        output = (result.stdout + result.stderr).strip()[-3000:]
        raise AppJavaUnavailable(
            f"`{' '.join(BUILD_COMMAND)}` in {app_dir} failed (exit {result.returncode}); an "
            "offline build needs app-java's dependencies in ~/.m2 (fetch them once with "
            f"`cd apps/app-java && mvn -B -DskipTests package`):\n{output}"
        )
    return jar


class AppJava:
    """app-java from its jar on 127.0.0.1, traces exported over OTLP/HTTP to ``otlp_endpoint``.

    ``start()`` returns once it is ready and has answered one quote. The port is chosen once, so
    a restarted process answers at the same URL.
    """

    def __init__(self, jar: Path, log_path: Path, otlp_endpoint: str) -> None:
        self.jar = jar
        self.log_path = log_path
        self.otlp_endpoint = otlp_endpoint
        self.port = free_port()
        self.process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "FAULT_"))}
        base.pop("ADMIN_TOKEN", None)
        base.update(
            {
                "SERVER_ADDRESS": "127.0.0.1",
                "SERVER_PORT": str(self.port),
                "SHUTDOWN_TIMEOUT": "2s",
                "DEPLOYMENT_ENVIRONMENT": "dev-local",
                "OTEL_EXPORTER_OTLP_ENDPOINT": self.otlp_endpoint,
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_METRICS_EXPORTER": "none",
                "OTEL_LOGS_EXPORTER": "none",
                "OTEL_BSP_SCHEDULE_DELAY": "200",
            }
        )
        return base

    def start(self) -> None:
        java = shutil.which("java")
        if java is None:
            raise AppJavaUnavailable("java is not on PATH (JDK 17 runs app-java)")
        process = ManagedProcess(
            "app-java", [java, *JVM_OPTIONS, "-jar", str(self.jar)], self.env(), self.log_path
        )
        self.process = process
        readiness = f"{self.url}/actuator/health/readiness"

        def ready() -> bool:
            if not process.alive():
                raise AppJavaUnavailable(
                    f"app-java exited ({process.returncode}) during start-up:\n"
                    + process.text()[-3000:]
                )
            return http_status(readiness, timeout=1.0) == 200

        try:
            wait_until(ready, START_TIMEOUT_SECONDS, f"app-java {readiness}", interval=0.2)
            self._warm_up()
        except BaseException:
            self.stop()
            raise

    def _warm_up(self) -> None:
        """One quote, so that the JVM's first (slow) answer does not meet a caller's timeout."""
        response = httpx.post(
            f"{self.url}/api/v1/quotes",
            json={"orderId": "warm-up", "items": [{"sku": "SKU-001", "quantity": 1}]},
            timeout=60,
        )
        if response.status_code != 200:
            raise AppJavaUnavailable(
                f"app-java answered the warm-up quote with {response.status_code}: {response.text}"
            )

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def __enter__(self) -> AppJava:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
