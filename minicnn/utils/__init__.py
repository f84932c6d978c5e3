"""Utilities: numerical gradient checking."""
from .gradcheck import GradcheckError, gradcheck

__all__ = ["GradcheckError", "gradcheck"]
