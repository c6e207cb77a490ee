"""Phrase: numbers → Chinese fragments, template functions, narrative rendering."""
