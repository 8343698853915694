"""raw cells -> canonical shipment rows: headers and column aliases, dates, lots,
countries, row kinds and problems, side tables."""
