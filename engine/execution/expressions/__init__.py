"""The subset of JUEL and FEEL that modelers write, translated to Python at load time."""
from .runtime import FUNCTIONS, ExpressionError
from .syntax import Unsupported
from .translate import translate_condition, translate_value

__all__ = ["FUNCTIONS", "ExpressionError", "Unsupported", "translate_condition", "translate_value"]
