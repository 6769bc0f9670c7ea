"""backends.verilog."""
