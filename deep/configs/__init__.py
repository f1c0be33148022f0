"""Example TrainConfig files (``tradeoff deep train NAME`` accepts these names)."""
