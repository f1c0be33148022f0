"""Deep experiments in torch: attacks, adversarial training, evaluation, runs (Figures 1-4, 6-10)."""
