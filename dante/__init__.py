"""dante package (filled by its issue)."""
