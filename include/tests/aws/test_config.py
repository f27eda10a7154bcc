"""The rules file: versioned, strict, one clear error line, and nothing deleted on a bad one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kindops.aws.config import default_rules_path, load_rules, parse_rules
from kindops.errors import ConfigError

LAB = {"project": "kindops-lab", "env": "dev"}


def test_packaged_rules_are_valid_and_documented() -> None:
    loaded = load_rules(str(default_rules_path()))
    rules = loaded.rules
    assert rules.version == 1
    assert (rules.scope.tag_key, rules.scope.tag_value) == ("project", "kindops-lab")
    assert [b.name for b in rules.budgets.budgets] == [
        "kindops-lab-monthly-5usd",
        "kindops-lab-monthly-10usd",
    ]
    assert [str(b.limit_usd) for b in rules.budgets.budgets] == ["5", "10"]
    assert str(rules.budgets.threshold_percent) == "80"
    text = default_rules_path().read_text()
    for unit in ("per GB-month", "per hour", "us-east-1"):
        assert unit in text
    assert len(loaded.sha256) == 64


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\nregions: [us-east-1]\nscop: {}\n", "scop: unknown key"),
        (
            "version: 1\nregions: [us-east-1]\necr: {keep_newest_tagged: 0}\n",
            "ecr.keep_newest_tagged: Input should be greater than or equal to 1",
        ),
        ("version: 2\nregions: [us-east-1]\n", "version: Input should be 1"),
        ("regions: [us-east-1]\n", "version: Field required"),
        ("version: 1\nregions: []\n", "regions: List should have at least 1 item"),
        (
            "version: 1\nregions: [us-east-1]\naccounts: {allow: [123456789012]}\n",
            "accounts.allow.0: Input should be a valid string",
        ),
        ("version: 1\nregions: [us-east-1]\ndefault_ttl: forever\n", "default_ttl: Value error"),
        ("version: 1\nregions: [us-east-1]\nservices: [ec2]\n", "services.0: Input should be"),
        ("version: 1\nregions: [Narnia]\n", "regions.0: String should match pattern"),
        ("version: 1\nregions: [us-east-1\n", "rules file x.yaml: "),
        ("- 1\n- 2\n", "expected a mapping"),
    ],
)
def test_bad_rules_give_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_rules(text, "x.yaml")
    assert message in err.value.message
    assert "\n" not in err.value.message
    assert "x.yaml" in err.value.message


def test_missing_rules_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KINDOPS_AWS_RULES"):
        load_rules(str(tmp_path / "nope.yaml"))


@pytest.mark.integration
def test_bad_rules_file_exits_2_and_deletes_nothing(lab: Any) -> None:
    lab.queue("kindops-lab-old", {**LAB, "expires-at": lab.past()})
    bad = lab.tmp / "bad.yaml"
    bad.write_text(
        "version: 1\nregions: [us-east-1]\naccounts: {allow: ['123456789012']}\n"
        "envs: [dev]\necr: {keep_newst_tagged: 3}\n"
    )
    for args in (
        ["aws", "cleanup", "--apply", "--rules", str(bad)],
        ["aws", "inventory", "--rules", str(bad)],
    ):
        result = lab.run(*args)
        assert result.exit_code == 2
        lines = result.stderr.strip().splitlines()
        assert lines == [f"error: invalid rules file {bad}: ecr.keep_newst_tagged: unknown key"]
    # the env variable is honoured the same way
    result = lab.run("aws", "cleanup", "--apply", KINDOPS_AWS_RULES=str(bad))
    assert result.exit_code == 2
    assert lab.queues() == {"kindops-lab-old"}
    assert lab.audit() == []
    assert not lab.run_dir().exists()
