"""The paper's deep experiments (docs/paper.md §6, Figures 1-4 and 6-10) as data, a sweep runner, the figure-data
producers and the claim 10-12 measurements. ``engine.py`` is the only module that talks to the deep engine."""
