"""The mIoU of the official TransKD release's evaluation (``eval/iouEval.py``; spec §3.3)."""
from typing import Dict, List

from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS


@METRICS.register_module()
class OfficialIoUMetric(IoUMetric):
    """mmseg's ``IoUMetric`` whose ``mIoU`` is the release's: IoU_c = TP/(TP+FP+FN+1e-15), averaged over **all**
    classes, a class that occurs neither in the ground truth nor in the predictions counting 0.

    The release accumulates TP, FP and FN over the whole split with ``iouEval(20, ignoreIndex=19)`` (void relabelled to
    19): ground-truth void pixels take no part, a void prediction on a valid pixel is only a false negative. mmseg's
    ``IoUMetric`` with void = 255 ignored does the same count (pixels whose label is 255 are dropped; a prediction of
    channel 19 falls outside the 19 classes' histogram), but its mean skips classes with an empty union (NaN). The two
    agree whenever all 19 classes occur (the Cityscapes val split); on small splits such as one ACDC condition a class
    can be absent, and only this metric gives the release's number. Every other key (aAcc, per-class table, mDice…)
    is mmseg's.

    Args:
        **kwargs: :class:`IoUMetric` arguments.
    """

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        if 'mIoU' in metrics:
            intersect = sum(r[0] for r in results)
            union = sum(r[1] for r in results)
            iou = intersect.double() / (union.double() + 1e-15)
            metrics['mIoU'] = round(float(iou.mean()) * 100, 2)
        return metrics
