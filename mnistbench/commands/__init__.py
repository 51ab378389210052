"""One small module per CLI command: each adds its arguments and runs, printing what the
core returns. ``mnistbench.cli`` wires them."""
