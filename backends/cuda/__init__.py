"""backends.cuda."""
