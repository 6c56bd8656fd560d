"""Developer tools: the official Adaptive Cards checker and the card screenshot renderer."""
