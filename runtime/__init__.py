"""lgcc.runtime: loading and calling what the backends built."""
