"""Read a policy YAML file and validate it as a whole, against the catalog when given."""

from __future__ import annotations

from pathlib import Path

from approvals.catalog import Catalog
from approvals.policies import Policy
from approvals.policy_file import PolicyError, build_policy
from catalog.yaml_file import UnreadableFile, read_yaml

DEFAULT_POLICIES = Path(__file__).with_name("policies.yaml")


def load_policies(path: str | Path | None = None, catalog: Catalog | None = None) -> Policy:
    """The policy at `path` (the shipped default when None), its teams checked against `catalog`;
    PolicyError lists every problem, each with the file and its place."""
    file = Path(path) if path else DEFAULT_POLICIES
    try:
        data = read_yaml(file, "it must set at least one section")
    except UnreadableFile as exc:
        raise PolicyError([exc.problem]) from exc
    try:
        return build_policy(data, catalog)
    except PolicyError as exc:
        raise PolicyError([f"{file}: {p}" for p in exc.problems]) from exc
