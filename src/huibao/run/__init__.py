"""Run: plan what is out of date, execute notebooks in pools, stage, record."""
