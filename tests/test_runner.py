"""Real MMEngine Runner runs of tiny TransKD pairs: train, validate (IoUMetric), save, resume, export."""
import copy
import glob
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.runner import Runner, load_checkpoint
from mmseg.apis import inference_model, init_model

from mmseg_transkd.utils import export_student
from tiny import tiny_cfg


@pytest.mark.parametrize('variant', ['base', 'gl', 'ea'])
def test_train_validate_save_resume_export(variant, city_root, tmp_path):
    work = str(tmp_path / variant)
    cfg = tiny_cfg(variant, city_root, work, max_iters=4, val_interval=2)
    runner = Runner.from_cfg(cfg)
    teacher_before = {k: v.clone() for k, v in runner.model.teacher.state_dict().items()}
    runner.train()
    model = runner.model
    assert not any(m.training for m in model.teacher.modules())
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, teacher_before[k])

    # validation ran with IoUMetric on the student; the scalars were logged per KD term
    scalars = runner.message_hub.log_scalars
    assert {'train/loss_csf', 'train/loss_pea', 'train/decode.loss_ce', 'val/mIoU'} <= set(scalars)
    # the logged mIoU is the one of the student's predictions at iteration 4, counted here by hand
    assert scalars['val/mIoU'].current() == pytest.approx(hand_miou(runner), abs=0.006)

    ckpt_path = osp.join(work, 'iter_4.pth')
    assert osp.isfile(ckpt_path) and osp.isfile(osp.join(work, 'iter_2.pth'))
    # torch >= 2.6 loads with weights_only=True by default; our allowlist makes MMEngine's checkpoints load that way
    ckpt = torch.load(ckpt_path, map_location='cpu', weights_only=True)
    assert isinstance(ckpt['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    assert not any(k.startswith('teacher.') for k in ckpt['state_dict'])
    assert any(k.startswith('connectors.csf.') for k in ckpt['state_dict'])

    # resume in a fresh runner: continues from iteration 4 with the saved optimizer state and teacher reloaded
    cfg = tiny_cfg(variant, city_root, work, max_iters=6, val_interval=2)
    cfg.resume = True
    resumed = Runner.from_cfg(cfg)
    start = StartProbe()
    resumed.register_hook(start)
    resumed.train()
    assert start.iter == 4 and resumed.iter == 6
    saved = torch.load(ckpt_path, map_location='cpu', weights_only=True)['optimizer']
    assert start.optimizer['state'] and len(start.optimizer['state']) == len(saved['state'])
    for i, state in saved['state'].items():  # AdamW's step count and moments of every parameter
        assert all(torch.equal(torch.as_tensor(v), torch.as_tensor(start.optimizer['state'][i][k]))
                   for k, v in state.items())
    assert [g['lr'] for g in start.optimizer['param_groups']] == [g['lr'] for g in saved['param_groups']]
    assert osp.isfile(osp.join(work, 'iter_6.pth'))
    for k, v in resumed.model.teacher.state_dict().items():
        assert torch.equal(v, teacher_before[k])

    # export: a plain mmseg checkpoint + config that mmseg's own API loads strictly and predicts identically with
    out = str(tmp_path / 'export' / 'student.pth')
    cfg_file = str(tmp_path / f'{variant}_distill.py')
    cfg.dump(cfg_file)
    info = export_student(osp.join(work, 'iter_6.pth'), out, config=cfg_file)
    assert info['dropped'] > 0 and osp.isfile(info['config'])
    plain = init_model(info['config'], out, device='cpu')
    exported_keys = set(torch.load(out, map_location='cpu')['state_dict'])
    assert exported_keys == set(plain.state_dict())  # no missing, no unexpected keys
    load_checkpoint(plain, out, strict=True)
    assert plain.dataset_meta['classes'][0] == 'road'
    img = sorted(glob.glob(osp.join(city_root, 'leftImg8bit/val/*/*.png')))[0]
    student = resumed.model.student.eval()
    student.cfg = plain.cfg  # the same test pipeline for both
    ours = inference_model(student, img).seg_logits.data
    theirs = inference_model(plain, img).seg_logits.data
    torch.testing.assert_close(ours, theirs)


class StartProbe(Hook):
    """Records the iteration and the optimizer state a run starts training from (after any resume)."""

    priority = 'LOWEST'

    def before_train(self, runner) -> None:
        self.iter = runner.iter
        self.optimizer = copy.deepcopy(runner.optim_wrapper.state_dict())


def hand_miou(runner) -> float:
    """mIoU (%) of the model's predictions on the val set: per-class intersection / union summed over the images,
    ignore pixels (255) left out, classes absent from both skipped, as IoUMetric defines it."""
    num_classes = len(runner.val_dataloader.dataset.metainfo['classes'])
    inter, union = np.zeros(num_classes), np.zeros(num_classes)
    runner.model.eval()
    with torch.no_grad():
        for batch in runner.val_dataloader:
            for out in runner.model.val_step(batch):
                pred, gt = out.pred_sem_seg.data[0].numpy(), out.gt_sem_seg.data[0].numpy()
                valid = gt != 255
                for c in range(num_classes):
                    p, g = (pred == c) & valid, (gt == c) & valid
                    inter[c] += (p & g).sum()
                    union[c] += (p | g).sum()
    present = union > 0
    return float(np.round((inter[present] / union[present]).mean() * 100, 2))


class _Reduce:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


@pytest.mark.parametrize('payload', [
    _Reduce(print, ('pwned',)),                               # an arbitrary callable
    _Reduce(getattr, (HistoryBuffer, '__init__')),            # getattr beyond HistoryBuffer's statistics methods
    _Reduce(getattr, (HistoryBuffer, '_statistics_methods')),
])
def test_safe_loading_stays_on_for_other_globals(payload, tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': payload}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)  # torch's default is weights_only=True
