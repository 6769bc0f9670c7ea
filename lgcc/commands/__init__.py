"""Subcommands of the lgcc CLI, one module each (discovered automatically)."""
