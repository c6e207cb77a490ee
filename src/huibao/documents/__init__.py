"""Build: the document kinds (unit, area), their exhibits and charts → outlines."""
