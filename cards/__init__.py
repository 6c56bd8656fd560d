"""Adaptive Cards 1.5 for Signoff: pure functions from domain objects to cards, the card verbs,
and the parsing of card action payloads into typed values. Imports approvals and adaptive_cards.
"""
