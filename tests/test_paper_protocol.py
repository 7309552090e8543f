"""TransKD's own protocol as the release computes it (issue 14): the release's weight initialisation of the official
MiT and head, Pillow image resize, one-step PIL-nearest labels, the release's co-transform, the release's mIoU, and
the release-exact and single-stage-PEA configs."""
import copy
import math

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose
from mmseg.registry import METRICS, MODELS, OPTIM_WRAPPERS, TRANSFORMS
from PIL import Image, ImageOps

from mmseg_transkd.utils.official import official_segformer_cfg

from tiny import REPO, scheduled_lrs

PAPER = REPO / 'configs/transkd_paper'
RELEASE = sorted(p.name for p in PAPER.glob('*_release.py'))
PEA_STAGE = sorted(p.name for p in PAPER.glob('transkd-base-pea-stage*.py'))


# ------------------------------------------------------------------------------------------------ initialisation
def release_init_report(model) -> dict:
    """Checks every parameter of an official B0 EncoderDecoder against the release's init rules (issue 14, spec §0).

    Returns {group: True/False}; every parameter must belong to exactly one group. Weight groups are pooled after
    dividing each tensor by its expected std, so std ≈ 1 must hold to 3 % and the mean ≈ 0 to 4 standard errors; the
    largest tensor of each group must also hold to 5 % on its own; biases of the release's MiT layers are exactly 0.
    """
    groups = {k: [] for k in ('linear', 'conv', 'layernorm', 'head_linear_c', 'head_fuse', 'head_pred')}
    zero_bias, seen = [], set()

    def add(group, name, w, expected_std, bias=None):
        groups[group].append((name, w.detach() / expected_std))
        seen.add(name + '.weight' if not name.endswith('in_proj') else name + '_weight')
        if bias is not None:
            seen.add(name + '.bias' if not name.endswith('in_proj') else name + '_bias')
            if group in ('linear', 'conv'):
                zero_bias.append(bias.detach())
    for name, m in model.backbone.named_modules():
        full = 'backbone.' + name
        if isinstance(m, nn.MultiheadAttention):
            add('linear', full + '.in_proj', m.in_proj_weight, 0.02, m.in_proj_bias)  # the release's q and kv
        elif isinstance(m, nn.Linear):
            add('linear', full, m.weight, 0.02, m.bias)
        elif isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1):  # Mix-FFN fc1 / fc2 (the release's Linears)
            add('linear', full, m.weight, 0.02, m.bias)
        elif isinstance(m, nn.Conv2d):
            fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
            add('conv', full, m.weight, math.sqrt(2 / fan_out), m.bias)
        elif isinstance(m, nn.LayerNorm):
            groups['layernorm'].append((full, m))
            seen.update({full + '.weight', full + '.bias'})
    head = model.decode_head
    for i, lin in enumerate(head.linear_c):  # PyTorch default: U(±1/√fan_in), std 1/√(3·fan_in)
        add('head_linear_c', f'decode_head.linear_c.{i}', lin.weight, 1 / math.sqrt(3 * lin.in_features), lin.bias)
    fuse = head.linear_fuse
    add('head_fuse', 'decode_head.linear_fuse.conv', fuse.conv.weight, math.sqrt(2 / fuse.conv.out_channels))
    seen.update({'decode_head.linear_fuse.bn.weight', 'decode_head.linear_fuse.bn.bias'})
    pred = head.conv_seg
    add('head_pred', 'decode_head.conv_seg', pred.weight, 1 / math.sqrt(3 * pred.in_channels), pred.bias)
    assert seen == {n for n, _ in model.named_parameters()}, 'a parameter without an init rule'

    def std_ok(items):
        pooled = torch.cat([z.flatten() for _, z in items])
        largest = max(items, key=lambda it: it[1].numel())[1]
        return abs(pooled.std().item() - 1) < 0.03 and abs(largest.std().item() - 1) < 0.05 and \
            abs(pooled.mean().item()) < 4 / math.sqrt(pooled.numel())  # 4 standard errors
    report = {g: std_ok(groups[g]) for g in ('linear', 'conv', 'head_linear_c', 'head_fuse')}
    report['zero_bias'] = all((b == 0).all() for b in zero_bias)
    report['layernorm'] = all((m.weight == 1).all() and (m.bias == 0).all() for _, m in groups['layernorm'])
    report['bn'] = bool((fuse.bn.weight == 1).all() and (fuse.bn.bias == 0).all())
    # linear_pred: PyTorch's default, uniform within ±1/√D (weights and bias); mmseg's would be normal(0, 0.01), bias 0
    bound = 1 / math.sqrt(pred.in_channels)
    report['head_pred'] = bool(std_ok(groups['head_pred']) and pred.weight.abs().max() <= bound
                               and pred.bias.abs().max() <= bound and pred.bias.abs().min() > 0)
    return report


def test_fresh_paper_b0_student_has_the_release_init():
    cfg = Config.fromfile(str(PAPER / 'segformer-official-b0_1xb2-1000e_city-512x1024.py'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()  # what the Runner does before training
    report = release_init_report(model)
    assert all(report.values()), report
    # the same parameters under mmseg's own init fail exactly where the issue says mmseg differs
    from mmseg.models.backbones import MixVisionTransformer
    MixVisionTransformer.init_weights(model.backbone)
    nn.init.normal_(model.decode_head.conv_seg.weight, 0, 0.01)
    nn.init.zeros_(model.decode_head.conv_seg.bias)
    report = release_init_report(model)
    assert not report['linear'] and not report['head_pred'] and report['conv'] and report['layernorm'], report


def test_distiller_student_gets_the_release_init():
    # a teacher given init_cfg (Pretrained) keeps mmseg's init path; the student inside a DistillSegmentor gets the
    # release's init from the distiller's init_weights
    model = MODELS.build(tiny_release_model('transkd-base_b2-b0_1xb2-1000e_city-512x1024_release.py'))
    model.init_weights()
    attn = model.student.backbone.layers[3][1][0].attn.attn
    assert (attn.in_proj_bias == 0).all() and model.student.decode_head.conv_seg.bias.abs().min() > 0
    ffn = model.student.backbone.layers[3][1][0].ffn.layers[0]
    assert abs(ffn.weight.std().item() - 0.02) < 0.002  # 256x64 weights: the release's 0.02, not mmseg's √(2/256)


# --------------------------------------------------------------------------------------------- resize and labels
def test_pil_resize_is_pillow_bilinear_with_its_antialiasing():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (12, 16, 3)).astype(np.uint8)
    out = TRANSFORMS.build(dict(type='PILResize', scale=(8, 6), keep_ratio=False)).transform(dict(img=img.copy()))
    ref = np.asarray(Image.fromarray(img).resize((8, 6), Image.BILINEAR))
    assert out['img'].dtype == np.uint8 and (out['img'] == ref).all()
    assert out['img_shape'] == (6, 8) and out['scale_factor'] == (0.5, 0.5)
    # 2x shrink: an interior output pixel j mixes inputs 2j-1 .. 2j+2 with 1/8, 3/8, 3/8, 1/8 (rows constant so the
    # vertical pass is the identity); cv2's bilinear averages the 2x2 block instead
    row = rng.integers(0, 256, 16).astype(np.float64)
    flat = np.repeat(np.repeat(row[None, :, None], 4, axis=0), 3, axis=2).astype(np.uint8)
    got = TRANSFORMS.build(dict(type='PILResize', scale=(8, 2), keep_ratio=False)).transform(dict(img=flat))['img']
    for j in range(1, 7):
        hand = (row[2 * j - 1] + 3 * row[2 * j] + 3 * row[2 * j + 1] + row[2 * j + 2]) / 8
        assert abs(int(got[0, j, 0]) - hand) <= 0.5 + 1e-9
    box = cv2.resize(flat, (8, 2), interpolation=cv2.INTER_LINEAR)
    assert (box[0, 1:7, 0] != got[0, 1:7, 0]).any()
    # keep_ratio with the paper's scale gives the release's Resize(512) sizes
    resize = TRANSFORMS.build(dict(type='PILResize', scale=(1024, 512), keep_ratio=True))
    assert resize.transform(dict(img=np.zeros((1080, 1920, 3), np.uint8)))['img'].shape == (512, 910, 3)


@pytest.fixture(scope='module')
def acdc_sample(tmp_path_factory):
    """A generated native-size ACDC frame (1080x1920): a smooth image and a label with 1-pixel detail."""
    root = tmp_path_factory.mktemp('acdc_native')
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:1080, 0:1920]
    img = np.stack([(xx // 7) % 256, (yy // 5) % 256, ((xx + yy) // 3) % 256], axis=-1).astype(np.uint8)
    label = rng.integers(0, 19, (1080, 1920)).astype(np.uint8)
    label[:40] = 255
    cv2.imwrite(str(root / 'img.png'), img)
    cv2.imwrite(str(root / 'label.png'), label)
    return dict(img_path=str(root / 'img.png'), seg_map_path=str(root / 'label.png'), reduce_zero_label=False,
                seg_fields=[]), img, label


def _run(pipeline, sample, **overrides):
    steps = []
    for t in copy.deepcopy(pipeline):
        t = dict(t)
        t.update(overrides.get(t['type'], {}))
        steps.append(t)
    return Compose(steps)(copy.deepcopy(sample))


def test_acdc_paper_pipelines_give_pils_label_and_image_grids(acdc_sample):
    """Every ACDC paper pipeline (train, release train, official eval) resizes the native 1080x1920 label once with
    PIL nearest to 128x228, and the image with Pillow's bilinear to 512x910 (flip and shift switched off)."""
    sample, img, label = acdc_sample
    cfg = Config.fromfile(str(REPO / 'configs/_base_/datasets/acdc_transkd_paper.py'))
    label_ref = np.asarray(Image.fromarray(label).resize((228, 128), Image.NEAREST))
    img_ref = np.asarray(Image.fromarray(img).resize((910, 512), Image.BILINEAR))
    # the old two-step grid (cv2 nearest to 512x910, then a centred nearest) differs: the test can tell them apart
    two_step = cv2.resize(label, (910, 512), interpolation=cv2.INTER_NEAREST)
    two_step = two_step[((np.arange(128) + 0.5) * 4).astype(int)][:, ((np.arange(228) + 0.5) * 910 / 228).astype(int)]
    assert (two_step != label_ref).mean() > 0.5
    off = dict(RandomFlip=dict(prob=0.0), RandomShift=dict(max_shift=0))
    for name in ('train_pipeline', 'release_train_pipeline', 'official_test_pipeline'):
        out = _run(cfg[name], sample, **off)
        gt = out['data_samples'].gt_sem_seg.data[0].numpy()
        assert gt.shape == (128, 228) and (gt == label_ref).all(), name
        assert (out['inputs'].permute(1, 2, 0).numpy() == img_ref).all(), name
    out = _run(cfg.test_pipeline, sample)  # mmseg-protocol evaluation: Pillow image, native label
    assert out['data_samples'].gt_sem_seg.data.shape[-2:] == (1080, 1920)
    assert (out['inputs'].permute(1, 2, 0).numpy() == img_ref).all()


def test_deferred_shift_moves_the_native_label_with_the_image():
    """Fixed pipeline: (flip,) RandomShift(seg_shift='deferred') + LabelToLogitGrid move a label of any size by the
    image's distance in one nearest resampling. Cityscapes geometry: native 2x the image, so the logit pixel (i, j)
    reads native (8i + 4 − 2ty, 8j + 4 − 2tx) of the (flipped) native label, or void outside."""
    flip = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))
    shift = TRANSFORMS.build(dict(type='RandomShift', max_shift=2, seg_shift='deferred'))
    grid = TRANSFORMS.build(dict(type='LabelToLogitGrid', stride=4))
    native = np.random.default_rng(1).integers(0, 19, (64, 96)).astype(np.uint8)
    img = np.random.default_rng(2).integers(0, 255, (32, 48, 3)).astype(np.uint8)
    seen = set()
    for seed in range(12):
        np.random.seed(seed)
        out = dict(img=img.copy(), gt_seg_map=native.copy(), img_shape=(32, 48), seg_fields=['gt_seg_map'])
        flipped = seed % 2 == 1
        if flipped:  # the image and the native label mirrored, each at its own size
            out = flip.transform(out)
        out = grid.transform(shift.transform(out))
        tx, ty = out['shift']
        seen.add((tx, ty))
        assert 'seg_shift' not in out and out['gt_seg_map'].shape == (8, 12)
        src = native[:, ::-1] if flipped else native
        for i in range(8):
            for j in range(12):
                y, x = 8 * i + 4 - 2 * ty, 8 * j + 4 - 2 * tx
                want = src[y, x] if 0 <= y < 64 and 0 <= x < 96 else 255
                assert out['gt_seg_map'][i, j] == want
    assert len(seen) > 5


def test_release_shift_is_pils_pad_then_crop_on_the_quarter_label():
    """The release's co-transform (spec §3.1, §5.7): image and 1/4 label each padded at (left, top) by (tx, ty) —
    image with 0, label with 255 — then cropped back from (0, 0), so the label moves by the same number of its own
    pixels (4x the image's distance) and a negative shift leaves a zero (road) label border."""
    shift = TRANSFORMS.build(dict(type='RandomShift', max_shift=2, seg_shift='release'))
    rng = np.random.default_rng(3)
    img = rng.integers(1, 255, (24, 28, 3)).astype(np.uint8)
    label = rng.integers(1, 19, (6, 7)).astype(np.uint8)

    def pad_crop(arr, tx, ty, fill):
        im = ImageOps.expand(Image.fromarray(arr), border=(tx, ty, 0, 0), fill=fill)
        return np.asarray(im.crop((0, 0, im.size[0] - tx, im.size[1] - ty)))
    seen = set()
    for seed in range(40):
        np.random.seed(seed)
        out = shift.transform(dict(img=img.copy(), gt_seg_map=label.copy()))
        tx, ty = out['shift']
        seen.add((tx, ty))
        assert (out['gt_seg_map'] == pad_crop(label, tx, ty, 255)).all(), (tx, ty)
        assert (out['img'] == pad_crop(img, tx, ty, 0)).all(), (tx, ty)
        if tx < 0:
            assert (out['gt_seg_map'][:, tx:] == 0).all()
    assert {t for s in seen for t in s} == {-2, -1, 0, 1, 2}


# ------------------------------------------------------------------------------------------------------- metric
def test_official_iou_metric_counts_absent_classes_as_zero():
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    gt = torch.tensor([[0, 0, 1, 1, 255, 2]])
    pred = torch.tensor([[0, 1, 1, 1, 2, 19]])  # 19: the void channel; class 3 occurs nowhere
    sample = SegDataSample(gt_sem_seg=PixelData(data=gt[None]), pred_sem_seg=PixelData(data=pred[None]))
    # class 0: TP 1, FN 1 -> 1/2; class 1: TP 2, FP 1 -> 2/3; class 2: FN 1 (void prediction), the prediction on the
    # void pixel is no FP -> 0; class 3: 0 (release) or skipped (mmseg)
    ious = [1 / 2, 2 / 3, 0.0]
    for kind, expected in (('OfficialIoUMetric', sum(ious) / 4), ('IoUMetric', sum(ious) / 3)):
        metric = METRICS.build(dict(type=kind, iou_metrics=['mIoU']))
        metric.dataset_meta = dict(classes=['a', 'b', 'c', 'd'])
        metric.process([], [sample.to_dict()])
        assert metric.compute_metrics(metric.results)['mIoU'] == pytest.approx(100 * expected, abs=0.01)


# ---------------------------------------------------------------------------------------------------- optimiser
def test_zero_grad_in_place_keeps_adamw_moving_an_unused_parameter():
    """PyTorch 1.7's zero_grad (the release's): a parameter with no gradient in a step, after it had one, still gets
    AdamW's momentum step and weight decay; PyTorch >= 2.0's default (None) skips it."""
    results = {}
    for kind in ('ZeroGradInPlaceOptimWrapper', 'OptimWrapper'):
        used, unused = nn.Parameter(torch.ones(3)), nn.Parameter(torch.ones(3))
        wrapper = OPTIM_WRAPPERS.build(dict(type=kind, optimizer=torch.optim.AdamW([used, unused], lr=0.1,
                                                                                   weight_decay=0.01)))
        wrapper.update_params((used.sum() + unused.sum()) * 2)
        before = unused.detach().clone()
        wrapper.update_params(used.sum())  # `unused` takes no part (the release's fc in a B == 1 step)
        results[kind] = (unused.grad, (unused.detach() - before).abs().max().item())
    grad, moved = results['ZeroGradInPlaceOptimWrapper']
    assert grad is not None and (grad == 0).all() and moved > 0.01
    grad, moved = results['OptimWrapper']
    assert grad is None and moved == 0


# ------------------------------------------------------------------------------------------------------ configs
TINY_S = dict(embed_dims=8, num_layers=[1, 1, 1, 1], sr_ratios=[8, 4, 2, 1], head_channels=16)
TINY_T = dict(embed_dims=16, num_layers=[1, 1, 1, 1], sr_ratios=[8, 4, 2, 1], head_channels=32)


def tiny_release_model(cfg) -> dict:
    """The distiller of a paper config (a name or a loaded Config) with tiny official MiTs (teacher random, not
    loaded)."""
    cfg = Config.fromfile(str(PAPER / cfg)) if isinstance(cfg, str) else cfg
    model = copy.deepcopy(cfg.model.to_dict())
    model['student'] = official_segformer_cfg(**TINY_S)
    model['student']['data_preprocessor']['size'] = (64, 128)  # the tiny frames (the paper's is 512x1024)
    model['teacher'] = dict(config=official_segformer_cfg(**TINY_T), checkpoint='none', load_checkpoint=False)
    return model


@pytest.mark.parametrize('name', RELEASE)
def test_release_configs_are_the_release(name):
    cfg = Config.fromfile(str(PAPER / name))
    fixed = Config.fromfile(str(PAPER / name.replace('_release', '')))
    assert cfg.train_dataloader.drop_last is False and fixed.train_dataloader.drop_last is True
    assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline] == [
        'LoadImageFromFile', 'LoadAnnotations', 'PILResize', 'LabelToLogitGrid', 'RandomFlip', 'RandomShift',
        'PackSegInputs']
    assert cfg.train_dataloader.dataset.pipeline[5]['seg_shift'] == 'release'
    assert [t['type'] for t in fixed.train_dataloader.dataset.pipeline] == [
        'LoadImageFromFile', 'LoadAnnotations', 'PILResize', 'RandomFlip', 'RandomShift', 'LabelToLogitGrid',
        'PackSegInputs']
    for loader in ('val_dataloader', 'test_dataloader'):
        pipe = cfg[loader].dataset.pipeline
        assert pipe[-2]['type'] == 'LabelToLogitGrid' and pipe[-2]['eval_grid'] is True
    assert cfg.val_evaluator.type == cfg.test_evaluator.type == 'OfficialIoUMetric'
    assert cfg.optim_wrapper.type == 'ZeroGradInPlaceOptimWrapper' and cfg.train_cfg.val_interval == 1
    assert cfg.default_hooks.checkpoint.save_best == 'mIoU'
    assert cfg.model.connectors.csf.bottleneck == 'official'
    assert cfg.model.student == fixed.model.student
    city_teacher = 'checkpoints/segformerb2_teacher_cityscapes_mmseg.pth'
    # the release's TransKD-Base script loads its Cityscapes teacher on ACDC; GL and EA load the ACDC one
    assert (cfg.model.teacher.checkpoint == city_teacher) == ('_city-' in name or name.startswith('transkd-base'))
    assert fixed.model.teacher.checkpoint == (city_teacher if '_city-' in name else
                                              'checkpoints/segformerb2_teacher_acdc_mmseg.pth')
    if '_city-' not in name:
        return  # the ACDC configs build the same models (the official bottleneck's outputs, B == 1 included, are
        # checked against the release's forward in test_official.py)
    model = MODELS.build(tiny_release_model(cfg))
    assert all(u.bottleneck == 'official' for u in model.connectors.csf.units)
    assert sum(hasattr(u, 'fc1') for u in model.connectors.csf.units) == 3
    if 'transkd-gl' in name:
        qkv = model.connectors.gl.qkv.weight  # PyTorch's default Linear init, as released: U(±1/√C)
        bound = 1 / math.sqrt(qkv.shape[1])
        assert model.connectors.gl.attn_init == 'pytorch' and qkv.abs().max() <= bound
        assert abs(qkv.std().item() * math.sqrt(3) / bound - 1) < 0.05


@pytest.mark.parametrize('name', PEA_STAGE)
def test_single_stage_pea_configs(name):
    k = int(name.split('pea-stage')[1][0])
    model = MODELS.build(tiny_release_model(name))
    (proj, ) = model.connectors.pea.projs
    assert (proj.in_features, proj.out_features) == (8 * (1, 2, 5, 8)[k - 1], 16 * (1, 2, 5, 8)[k - 1])
    with torch.no_grad():
        tensors, _ = model.distill_tensors(torch.rand(1, 3, 64, 64))
        losses = model.distill_loss_values(tensors)
    n = (64 // 4 // 2 ** (k - 1)) ** 2
    assert [tuple(t.shape) for t in tensors['C.pea']] == [(1, n, 16 * (1, 2, 5, 8)[k - 1])]
    assert model.distill_losses.loss_pea.stage_weights == [1.0] and torch.isfinite(losses['loss_pea'])


def test_release_config_trains_and_validates_in_the_runner(city_root, tmp_path):
    """The Cityscapes TransKD-Base *_release.py through MMEngine's Runner on tiny data, its own pipelines (Pillow
    resize shrunk to the 64x128 frames): 4 images at batch 3 without drop_last end the epoch with B == 1 (the release's
    fc1 bottleneck), gradients stay zero tensors, and validation under OfficialIoUMetric keeps the best checkpoint."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(str(PAPER / 'transkd-base_b2-b0_1xb2-1000e_city-512x1024_release.py'))
    cfg.model = tiny_release_model(cfg)
    for loader, bs in (('train_dataloader', 3), ('val_dataloader', 1), ('test_dataloader', 1)):
        cfg[loader].update(batch_size=bs, num_workers=0, persistent_workers=False)
        cfg[loader].dataset.data_root = city_root
        for t in cfg[loader].dataset.pipeline:
            if t['type'] == 'PILResize':
                t['scale'] = (128, 64)
    cfg.train_cfg.max_epochs = 1
    cfg.default_hooks.logger.update(interval=1)
    cfg.default_hooks.visualization.update(draw=False)
    cfg.randomness = dict(seed=0)
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    units = runner.model.connectors.csf.units
    for unit in units[:3]:  # fc (B = 3) and fc1 (B = 1) both had a gradient, now zeroed in place, not None
        for conv in (unit.fc.conv, unit.fc1.conv):
            assert conv.weight.grad is not None and not conv.weight.grad.any()
    assert 'val/mIoU' in runner.message_hub.log_scalars
    assert list(tmp_path.glob('best_mIoU_epoch_1.pth'))


# ------------------------------------------------------------------------------------------------------- schedule
@pytest.mark.parametrize('name', ['segformer-official-b0_1xb2-1000e_city-512x1024.py',
                                  'transkd-base_b2-b0_1xb2-1000e_city-512x1024.py',
                                  'transkd-ea_b2-b0_1xb2-1000e_acdc-512x910_release.py'])
def test_paper_schedule_is_the_releases_polynomial_lr_decay_for_all_1000_epochs(name):
    """The lr of every epoch, as MMEngine's schedulers set it for the expanded config, against the release's sequence
    derived from the published formula and stepping (issue 25; spec §3.1)."""
    cfg = Config.fromfile(str(PAPER / name))
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop' and cfg.train_cfg.max_epochs == 1000
    assert all(s.by_epoch for s in cfg.param_scheduler)
    got = scheduled_lrs(cfg, 1000)
    # The release: PolynomialLRDecay(optimizer, max_decay_steps=1500, end_learning_rate=0, power=1.0) of
    # cmpark0126/pytorch-polynomial-lr-decay@9251dd7 on AdamW lr 6e-5. Its step() counts last_step up by one and, while
    # last_step <= max_decay_steps, sets lr = (base - end) * (1 - last_step / max_decay_steps) ** power + end; torch's
    # _LRScheduler constructor calls step() once, and the training loop calls it after every epoch.
    base, end, power, max_decay_steps = 6e-5, 0.0, 1.0, 1500
    state = dict(last_step=0, lr=base)

    def release_step():
        state['last_step'] += 1
        if state['last_step'] <= max_decay_steps:
            state['lr'] = (base - end) * (1 - state['last_step'] / max_decay_steps) ** power + end

    release_step()  # the constructor's step
    expected = []
    for _ in range(1000):
        expected.append(state['lr'])  # the lr this epoch trains with
        release_step()  # after the epoch
    assert expected[0] == pytest.approx(6e-5 * 1499 / 1500, rel=1e-15)
    assert expected[-1] == pytest.approx(2e-5, rel=1e-12)  # epoch 1000: 6e-5 * 500 / 1500, never 0
    worst = max(abs(g - e) / e for g, e in zip(got, expected))
    assert worst <= 1e-12, f'largest relative difference to the release: {worst:.3g}'


def test_closed_form_poly_lr_offset_end_and_resume():
    """ClosedFormPolyLR: value (base - eta_min) * (1 - min(k + offset, N) / N)^power + eta_min at step k, held at
    eta_min after N decay steps, and continued from a state dict as MMEngine resumes it."""
    from mmseg_transkd.engine import ClosedFormPolyLR
    optim = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.3)
    sched = ClosedFormPolyLR(optim, max_decay_steps=4, eta_min=0.1, power=2.0, step_offset=1, by_epoch=False)
    lrs = []
    for _ in range(3):
        lrs.append(optim.param_groups[0]['lr'])
        sched.step()
    state = sched.state_dict()
    optim2 = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.3)
    resumed = ClosedFormPolyLR(optim2, max_decay_steps=4, eta_min=0.1, power=2.0, step_offset=1, by_epoch=False)
    optim2.load_state_dict(optim.state_dict())  # the Runner's resume order: build, then load both states
    resumed.load_state_dict(state)
    for _ in range(3):
        lrs.append(optim2.param_groups[0]['lr'])
        resumed.step()
    expected = [0.2 * (1 - min(k + 1, 4) / 4) ** 2 + 0.1 for k in range(6)]
    assert lrs == pytest.approx(expected, rel=1e-15) and lrs[3:] == pytest.approx([0.1] * 3)
    with pytest.raises(ValueError, match='max_decay_steps must be a positive'):
        ClosedFormPolyLR(optim, max_decay_steps=0)
