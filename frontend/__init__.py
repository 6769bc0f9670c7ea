"""lgcc.frontend: PyTorch modules for training, checkpoints and lowering to the IR."""
