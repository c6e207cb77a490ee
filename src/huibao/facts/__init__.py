"""Compute: the inputs loader, hierarchy roll-ups, metrics, scores, area figures."""
