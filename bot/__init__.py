"""Everything facing Microsoft's platform: activity handler, commands, proactive messages."""
