"""lgcc.ir.passes: optimization passes, one file each, registered by name."""
