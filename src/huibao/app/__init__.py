"""The command line and its presentation."""
