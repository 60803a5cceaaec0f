"""proofs_check package (filled by its issue)."""
