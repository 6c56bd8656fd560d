"""Conversation flows built on botbuilder-dialogs."""
