"""One module per job in the docs: support desk, campaign, regulator, scope audit and
diff, responses, effectiveness checks, the audit log."""
