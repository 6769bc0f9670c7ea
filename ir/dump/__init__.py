"""ir.dump."""
