"""bytes -> raw text cells: file kinds and refusals, zip and XML guards, decryption,
workbook metadata, delimited text. Knows nothing of recalls."""
