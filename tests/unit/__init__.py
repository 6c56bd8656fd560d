"""Unit tests of the domain: no I/O, hand-written fakes, assertions on state."""
