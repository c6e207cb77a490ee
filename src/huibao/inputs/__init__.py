"""Read: the analysts' files → located cells, tidy frames and findings."""
