"""The columnar copy of the normalised rows of each input file: format, keys, store."""
