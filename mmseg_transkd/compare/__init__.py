"""Multi-seed comparisons of distillation methods against the student alone (``tools/compare.py``)."""
from .comparison import Comparison, Method, Outcome
from .report import summarize, text_summary, write_report
from .stats import paired, t_critical

__all__ = ['Comparison', 'Method', 'Outcome', 'paired', 'summarize', 't_critical', 'text_summary', 'write_report']
