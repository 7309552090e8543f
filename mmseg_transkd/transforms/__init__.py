from .paper_protocol import LabelToLogitGrid, RandomShift, nearest_resize

__all__ = ['RandomShift', 'LabelToLogitGrid', 'nearest_resize']
