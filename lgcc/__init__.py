"""lgcc: a compiler toolchain for logic gate networks."""

__version__ = "0.1.0"
