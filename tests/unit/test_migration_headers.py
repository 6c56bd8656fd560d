"""Each migration's docstring names the revision it follows, as its down_revision does (the
coordinator re-chains migrations when merging branches; the text must follow)."""

from __future__ import annotations

import re

from alembic.script import ScriptDirectory

from storage.migrate import alembic_config


def test_every_docstring_names_the_revision_it_follows() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    stated = {}
    for script in scripts.walk_revisions():
        doc = script.module.__doc__ or ""
        found = re.search(r"^Revises: *(\S*)$", doc, re.MULTILINE)
        stated[script.revision] = (found.group(1) if found else "missing") or None

    assert stated == {s.revision: s.down_revision for s in scripts.walk_revisions()}
