"""The registry's domain: the veteran file, its commands, events and rules, pure Python."""
