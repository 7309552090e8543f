from .official_iou import OfficialIoUMetric

__all__ = ['OfficialIoUMetric']
