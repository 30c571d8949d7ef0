"""Simulation study of the few-treated-clusters inference of the staggered designs (issue 13)."""
