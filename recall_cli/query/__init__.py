"""The recall scope and the one bucket rule -> buckets, customers, counts, lookups."""
