"""The `signoff` command line: administration run beside the bot (catalog, audit, evidence)."""
