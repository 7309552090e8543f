from .paper_protocol import LabelToLogitGrid, PILResize, RandomShift, nearest_resize, pil_resize

__all__ = ['PILResize', 'RandomShift', 'LabelToLogitGrid', 'nearest_resize', 'pil_resize']
