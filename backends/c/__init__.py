"""backends.c."""
