from .distill_segmentor import DistillSegmentor

__all__ = ['DistillSegmentor']
