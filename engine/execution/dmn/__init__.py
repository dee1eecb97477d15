"""DMN decision tables: every decision of a file, DMN 1.3 hit policies, FEEL cells (issue 8)."""
from .engine import DecisionEngine, DecisionError
from .spiff import DecisionTaskConverter, DecisionBpmnParser

__all__ = ["DecisionEngine", "DecisionError", "DecisionTaskConverter", "DecisionBpmnParser"]
