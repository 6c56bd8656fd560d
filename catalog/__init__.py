"""Ownership catalog files: reading YAML into the validated domain catalog."""
