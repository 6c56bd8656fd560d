"""A catalog written back as the native YAML file."""

from __future__ import annotations

from typing import Any

import yaml

from approvals.catalog import Catalog, catalog_to_data

_Base: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):  # type: ignore[misc]
    """Block mappings, and lists of names inline (`aliases: [payments, pay-api]`), as in
    the demo catalog."""


def _sequence(dumper: Any, data: list[Any]) -> Any:
    inline = all(isinstance(item, str | int) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=inline)


_Dumper.add_representer(list, _sequence)


def catalog_yaml(catalog: Catalog, header: str = "") -> str:
    """The catalog as YAML that `signoff catalog import` and SIGNOFF_CATALOG read back."""
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    body = yaml.dump(catalog_to_data(catalog), Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=100)
    return comment + body
