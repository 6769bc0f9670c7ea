"""ir.formats."""
