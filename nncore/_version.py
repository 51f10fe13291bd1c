"""The version of nncore (also ``nncore.__version__``)."""

__version__ = "0.1.0"
