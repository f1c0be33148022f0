"""Figure drawing (matplotlib, Agg). One module per area; every function takes results (dicts/arrays) and a path."""
