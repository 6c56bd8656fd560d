"""Signoff's domain: assets and their owners, requests, decisions and the rules that bind them."""
