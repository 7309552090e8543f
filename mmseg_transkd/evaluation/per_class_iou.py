"""mmseg's IoUMetric, also returning the IoU of every class, so that per-class results land in the run's logs."""
from typing import Dict

import numpy as np
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS


@METRICS.register_module()
class PerClassIoUMetric(IoUMetric):
    """:class:`mmseg.evaluation.IoUMetric` plus one ``'IoU.<class name>'`` entry per class.

    mmseg's metric prints the per-class table but returns only the means (``aAcc``, ``mIoU``, ...). The extra entries
    are the same per-class IoU values as that table (percent, rounded to 2 decimals; NaN for a class that is neither
    in the labels nor predicted), so MMEngine's logger writes them to the run's text log and ``vis_data/scalars.json``
    next to ``mIoU``. ``tools/compare.py`` reads them from there for its per-class deltas. Every argument is
    ``IoUMetric``'s; the means are unchanged.
    """

    def compute_metrics(self, results: list) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        if self.format_only:
            return metrics
        intersect, union, pred_area, label_area = (sum(areas) for areas in zip(*results))
        ious = self.total_area_to_metrics(intersect, union, pred_area, label_area, ['mIoU'], self.nan_to_num,
                                          self.beta)['IoU']
        for name, iou in zip(self.dataset_meta['classes'], np.asarray(ious, dtype=np.float64)):
            metrics[f'IoU.{name}'] = float(np.round(iou * 100, 2))
        return metrics
