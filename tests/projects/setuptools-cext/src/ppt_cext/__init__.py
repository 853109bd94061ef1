from ._add import add

__all__ = ["add"]
