"""Read a policy YAML file and validate it as a whole, against the catalog when given."""

from __future__ import annotations

from pathlib import Path

import yaml

from approvals.catalog import Catalog
from approvals.policies import Policy
from approvals.policy_file import PolicyError, build_policy

DEFAULT_POLICIES = Path(__file__).with_name("policies.yaml")


def load_policies(path: str | Path | None = None, catalog: Catalog | None = None) -> Policy:
    """The policy at `path` (the shipped default when None), its teams checked against `catalog`;
    PolicyError lists every problem, each with the file and its place."""
    file = Path(path) if path else DEFAULT_POLICIES
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError([f"{file}: cannot be read ({exc.strerror})"]) from exc
    except UnicodeDecodeError as exc:
        raise PolicyError([f"{file}: not UTF-8 text ({exc.reason})"]) from exc
    except yaml.YAMLError as exc:
        raise PolicyError([f"{file}: not valid YAML ({exc})"]) from exc
    if data is None:  # an empty or truncated file must not replace a good policy on reload
        raise PolicyError([f"{file}: is empty; it must set at least one section"])
    try:
        return build_policy(data, catalog)
    except PolicyError as exc:
        raise PolicyError([f"{file}: {p}" for p in exc.problems]) from exc
