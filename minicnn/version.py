"""minicnn's version, readable by every layer of the package."""
__version__ = "0.1.0"
