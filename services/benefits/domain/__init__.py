"""The benefits domain: the law's rules, lifecycles and money as plain Python, free of any framework."""
