"""The disputes domain: pure Python, no framework (the rules of the law as plain functions)."""
