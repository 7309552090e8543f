from .official_iou import OfficialIoUMetric
from .per_class_iou import PerClassIoUMetric

__all__ = ['OfficialIoUMetric', 'PerClassIoUMetric']
