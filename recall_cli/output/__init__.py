"""Writing results: the writer registry (table, csv, json, xlsx), xlsx drawing, safe
writing, terminal rendering (the only rich import)."""
