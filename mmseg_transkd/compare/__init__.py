"""Multi-seed comparisons of distillation methods against the student alone (``tools/compare.py``)."""
from .budget import BUDGETS, Budget, equal_compute_iters
from .comparison import Comparison, Method, Outcome
from .report import summarize, text_summary, write_report
from .stats import paired, t_critical

__all__ = ['BUDGETS', 'Budget', 'Comparison', 'Method', 'Outcome', 'equal_compute_iters', 'paired', 'summarize',
           't_critical', 'text_summary', 'write_report']
