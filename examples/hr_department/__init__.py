"""The reference subscriber: a department's system that keeps its own table of veterans."""
