"""Figures, the claim-by-claim report, and the ``tradeoff`` command line. The only package that draws."""
