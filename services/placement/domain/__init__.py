"""The placement domain in pure Python: the rules of the placement regulation, no framework."""
