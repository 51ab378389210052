"""mnistbench: classical machine learning against deep learning on handwritten digits."""

from mnistbench.errors import MnistbenchError

__version__ = "0.1.0"

__all__ = ["MnistbenchError", "__version__"]
