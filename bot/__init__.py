"""Everything that faces Microsoft's platform: the activity handler, commands, proactive messages."""
