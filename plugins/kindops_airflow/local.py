"""The local runner: the jobs-image command as a subprocess on this machine.

Same command, same environment contract as the pod: ``kindops <args>`` with ``KINDOPS_*`` env
on top of this machine's environment (an endpoint whose Airflow Variable does not exist is left
out, so this machine's own ``KINDOPS_*_URL`` or the job's default applies), the result document
read back from ``KINDOPS_XCOM_PATH`` and returned as the task's XCom.
Exit codes map to Airflow outcomes (:class:`~kindops_airflow.contract.ExitCode`): ``OK``
success; ``skip_on_exit_code`` skipped; :data:`~kindops_airflow.contract.NO_RETRY` (bad verdict,
bad input) fail without retry; ``UNREACHABLE`` and any other code fail and may retry.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Container, Mapping, Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

from kindops_airflow.contract import NO_RETRY, UNSET, ExitCode


class LocalJobOperator(BaseOperator):
    """Run ``kindops <arguments>`` as a subprocess and return its result document."""

    template_fields: Sequence[str] = ("arguments", "env")
    ui_color = "#d6eaf8"

    def __init__(
        self,
        *,
        arguments: list[str],
        env: Mapping[str, str] | None = None,
        skip_on_exit_code: Container[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.arguments = list(arguments)
        self.env = dict(env or {})
        self.skip_on_exit_code = skip_on_exit_code or ()
        self._proc: subprocess.Popen[str] | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "kindops", *[str(a) for a in self.arguments]]

    def execute(self, context: Any) -> Any:
        with tempfile.TemporaryDirectory(prefix="kindops-task-") as tmp:
            xcom = Path(tmp) / "return.json"
            env = {
                **os.environ,
                # an endpoint without its Variable: this machine's environment, else the default
                **{k: str(v) for k, v in self.env.items() if v != UNSET},
                "KINDOPS_XCOM_PATH": str(xcom),
            }
            self.log.info("running: kindops %s", " ".join(self.command()[3:]))
            self._proc = subprocess.Popen(
                self.command(),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
            assert self._proc.stdout is not None
            last = ""
            for line in self._proc.stdout:
                line = line.rstrip("\n")
                if line.strip():
                    last = line
                self.log.info("%s", line)
            code = self._proc.wait()
            if code in self.skip_on_exit_code:
                raise AirflowSkipException(f"kindops exited {code}: {last}")
            if code in NO_RETRY:
                raise AirflowFailException(f"kindops exited {code}: {last}")
            if code != ExitCode.OK:
                raise AirflowException(f"kindops exited {code}: {last}")
            return json.loads(xcom.read_text()) if xcom.exists() else None

    def on_kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
