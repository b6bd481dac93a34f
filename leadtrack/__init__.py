"""leadtrack: track every recruitment lead to completion."""

__version__ = "0.1.0"
