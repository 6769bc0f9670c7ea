"""frontend.csrc."""
