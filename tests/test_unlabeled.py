"""Distillation on unlabeled images: the image-only dataset and the demo's extra scenes, the mixed sampler's two
streams, the distiller's labeled-only decode and GT-reading losses (by hand), bad input, the shipped configs, and
real runs through tools/train.py (both sources, bit-exact resume after SIGKILL, 2-process gloo DDP)."""
import copy
import filecmp
import os
import os.path as osp
import signal

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner import Runner
from mmseg.registry import DATASETS, MODELS

from mmseg_transkd.datasets.seeded import SeededIndex, SeededInfiniteSampler
from mmseg_transkd.datasets.unlabeled import LabeledUnlabeledSampler, label_free_pipeline
from mmseg_transkd.demo import make_street_scenes
from mmseg_transkd.utils import check_data_roots, enable_exact_resume
from test_distiller import fake_batch
from test_resume import assert_same_tensors, ddp_cfg, last_checkpoint, load, losses, train
from tiny import CROP, IMG_HW, REPO, tiny_cfg, write_cityscapes_like

UNLABELED = REPO / 'configs/transkd/segformer_b2_b0_city_unlabeled.py'
IFVD = REPO / 'configs/baselines/ifvd_segformer-b2_segformer-b0_city.py'
CIRKD = REPO / 'configs/baselines/cirkd_segformer-b2_segformer-b0_city.py'
SHIPPED = {  # unlabeled config -> the labeled-only config it extends
    'configs/transkd/segformer_b2_b0_city_unlabeled.py': 'configs/transkd/segformer_b2_b0_city.py',
    'configs/baselines/kd_segformer-b2_segformer-b0_city_unlabeled.py':
        'configs/baselines/kd_segformer-b2_segformer-b0_city.py',
    'configs/demo/transkd_tiny-b2-b0_demo_unlabeled.py': 'configs/demo/transkd_tiny-b2-b0_demo.py',
    'configs/demo/kd_tiny-b2-b0_demo_unlabeled.py': 'configs/demo/kd_tiny-b2-b0_demo.py',
}
EXTRA = dict(type='UnlabeledImageDataset', data_prefix=dict(img_path='leftImg8bit/train_extra'),
             img_suffix='_leftImg8bit.png')
pytestmark = pytest.mark.usefixtures('plain_config_text')  # conftest.py: no yapf layout of config texts


@pytest.fixture(scope='module')
def mixed_root(tmp_path_factory) -> str:
    """4 labeled train images, 2 val (tiny.py's Cityscapes layout) and 6 unlabeled extra street scenes in
    leftImg8bit/train_extra/<city>/ (the demo generator's)."""
    root = write_cityscapes_like(str(tmp_path_factory.mktemp('mixed')))
    make_street_scenes(root, n_train=0, n_val=0, size=IMG_HW, n_extra=6)
    return root


def mixed_cfg(root: str, work: str = 'unused', batch_size: int = 4, config=UNLABELED, **kwargs) -> Config:
    """The shipped TransKD-Base unlabeled config, tiny (tiny.py: both sources get its data root and pipeline)."""
    cfg = tiny_cfg('base', root, work, config=str(config), **kwargs)
    cfg.train_dataloader.batch_size = batch_size
    for part in ('labeled', 'unlabeled'):  # no annotation-list serialisation in forked children (test_resume.py)
        cfg.train_dataloader.dataset[part].serialize_data = False
    return cfg


def batch(labeled, seed: int = 0) -> dict:
    """A fake batch (test_distiller.py) whose samples ``i`` with ``labeled[i]`` False lose their labels. The labels
    are 16x16 blocks of 3 classes (so the deepest stage's 2x2 grid has classes of several pixels) with ignore
    pixels."""
    data = fake_batch(len(labeled), seed=seed)
    g = torch.Generator().manual_seed(seed)
    for sample, has_label in zip(data['data_samples'], labeled):
        blocks = torch.randint(0, 3, (1, 4, 4), generator=g)
        sample.gt_sem_seg.data = blocks.repeat_interleave(16, 1).repeat_interleave(16, 2)
        sample.gt_sem_seg.data[:, :4, :4] = 255
        if not has_label:
            del sample.gt_sem_seg
    return data


def build(config, root, tmp_path, **overrides):
    cfg = tiny_cfg('base', root, str(tmp_path), config=str(config))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.update(overrides)
    return MODELS.build(model_cfg)


@pytest.fixture(scope='module')
def models(mixed_root, tmp_path_factory):
    """Tiny distillers of the shipped configs, built once (tests set their mode; none steps an optimizer)."""
    built = {}

    def get(config):
        if config not in built:
            built[config] = build(config, mixed_root, tmp_path_factory.mktemp('work'))
        built[config].zero_grad()
        return built[config]

    return get


# ----------------------------------------------------------------------------- data
class _Pair:
    """Stands for a LabeledUnlabeledDataset of 5 labeled and 7 unlabeled samples."""
    num_labeled, num_unlabeled = 5, 7

    def __len__(self):
        return 12


def _ranked(sampler, rank: int, world: int):
    sampler.rank, sampler.world_size = rank, world
    return sampler


def test_labeled_stream_is_the_student_alone_stream_and_the_unlabeled_one_its_own():
    """2 ranks x (2 labeled + 2 unlabeled): the labeled samples are SeededInfiniteSampler's on the labeled set (same
    indices, same per-sample seeds, so the same augmentation) at batch 2; a sampler started at a saved position
    continues both streams where they were."""
    first_unlabeled = []
    for rank in range(2):
        mixed = iter(_ranked(LabeledUnlabeledSampler(_Pair(), 0.5, batch_size=4, seed=3), rank, 2))
        alone = iter(_ranked(SeededInfiniteSampler(range(5), seed=3), rank, 2))
        got = [next(mixed) for _ in range(40)]  # 10 batches
        lab, unl = [s for i, s in enumerate(got) if i % 4 < 2], [s for i, s in enumerate(got) if i % 4 >= 2]
        assert lab == [next(alone) for _ in range(20)]
        assert all(5 <= s.index < 12 for s in unl) and not {s.seed for s in unl} & {s.seed for s in lab}
        first_unlabeled.append(unl[:4 - rank])  # global positions 0..6: rank 0 has 0, 2, 4, 6; rank 1 has 1, 3, 5
        late = _ranked(LabeledUnlabeledSampler(_Pair(), 0.5, batch_size=4, seed=3), rank, 2)
        late.start = 3 * 4 * 2  # 3 steps of 4 samples on 2 ranks trained
        tail = iter(late)
        assert [next(tail) for _ in range(28)] == got[12:]
    order = [s.index - 5 for pair in zip(*first_unlabeled) for s in pair] + [first_unlabeled[0][3].index - 5]
    assert sorted(order) == list(range(7))  # one permutation of the 7 images per 7 positions ...
    same_seed = iter(SeededInfiniteSampler(range(7), seed=3))
    assert order != [next(same_seed).index for _ in range(7)]  # ... drawn in the unlabeled stream's own domain


def test_mmdet_multi_source_sampler_draws_the_same_labeled_stream():
    """The labeled stream is also mmdet 3.x's MultiSourceSampler's first source (the semi-supervised detection
    sampler); its second source reuses the same generator seed, ours has its own."""
    samplers = pytest.importorskip('mmdet.datasets.samplers')

    class Concat(_Pair):
        cumulative_sizes, datasets = [5, 12], [range(5), range(7)]

    for rank in range(2):
        theirs = iter(_ranked(samplers.MultiSourceSampler(Concat(), 4, [1, 1], seed=3), rank, 2))
        ours = iter(_ranked(LabeledUnlabeledSampler(Concat(), 0.5, batch_size=4, seed=3), rank, 2))
        t, o = [next(theirs) for _ in range(40)], [next(ours).index for _ in range(40)]
        assert [x for i, x in enumerate(t) if i % 4 < 2] == [x for i, x in enumerate(o) if i % 4 < 2]
        assert [x for i, x in enumerate(t) if i % 4 >= 2] != [x for i, x in enumerate(o) if i % 4 >= 2]


@pytest.mark.parametrize('ratio,batch_size,match', [
    (0, 2, r'unlabeled_ratio must be a number in \(0, 1\)'), (1.0, 2, r'in \(0, 1\)'), (1.5, 2, r'in \(0, 1\)'),
    (-0.5, 2, r'in \(0, 1\)'), ('0.5', 2, r'in \(0, 1\)'), (True, 2, r'in \(0, 1\)'),
    (0.5, 3, r'unlabeled_ratio=0.5 of train_dataloader.batch_size=3 is 1.5 unlabeled samples per batch'),
    (0.25, 2, r'is 0.5 unlabeled'), (0.5, None, r'train_dataloader.sampler.batch_size must be')])
def test_bad_ratio_or_batch_names_the_key(ratio, batch_size, match):
    with pytest.raises(ValueError, match=match):
        LabeledUnlabeledSampler(_Pair(), ratio, batch_size=batch_size, seed=0)


def test_sampler_needs_the_pair_of_sources():
    with pytest.raises(ValueError, match=r"train_dataloader.sampler: LabeledUnlabeledSampler draws from a "
                       r"LabeledUnlabeledDataset, got range; set train_dataloader.dataset=dict\(type="):
        LabeledUnlabeledSampler(range(4), 0.5, batch_size=2, seed=0)


def test_unlabeled_images_go_through_the_training_pipeline_without_labels(mixed_root, tmp_path):
    shipped = Config.fromfile(str(UNLABELED)).train_pipeline
    free = label_free_pipeline(shipped)
    assert [t['type'] for t in free] == [t['type'] for t in shipped if t['type'] != 'LoadAnnotations']
    crop = next(t for t in free if t['type'] == 'RandomCrop')
    assert crop['cat_max_ratio'] == 1.0 and next(t for t in shipped if t['type'] == 'RandomCrop')[
        'cat_max_ratio'] == 0.75  # the config itself is not changed

    ds = DATASETS.build(mixed_cfg(mixed_root).train_dataloader.dataset)
    assert (len(ds), ds.num_labeled, ds.num_unlabeled) == (10, 4, 6)
    assert ds.metainfo['classes'][0] == 'road'  # the labeled set's
    assert 'gt_sem_seg' in ds[0]['data_samples']
    first, again, other = ds[SeededIndex(4, 7)], ds[SeededIndex(4, 7)], ds[SeededIndex(4, 8)]
    assert 'gt_sem_seg' not in first['data_samples'] and first['data_samples'].img_path.endswith(
        '_leftImg8bit.png') and '/train_extra/' in first['data_samples'].img_path
    assert torch.equal(first['inputs'], again['inputs']) and not torch.equal(first['inputs'], other['inputs'])
    assert all(s <= c for s, c in zip(first['inputs'].shape[-2:], CROP)) and first['inputs'].shape[-2:] != IMG_HW

    folder = osp.join(mixed_root, 'leftImg8bit', 'train_extra')
    listed = tmp_path / 'some.txt'
    listed.write_text('augsburg/augsburg_000000_000019\nbamberg/bamberg_000001_000019\n')
    assert len(DATASETS.build(dict(EXTRA, data_root=mixed_root, ann_file=str(listed)))) == 2
    with pytest.raises(ValueError, match=r'train_dataloader.dataset.unlabeled: no image ending in "\.jpg" under '
                       rf'"{folder}"\. Check train_dataloader.dataset.unlabeled.data_root'):
        DATASETS.build(dict(EXTRA, data_root=mixed_root, img_suffix='.jpg'))
    with pytest.raises(FileNotFoundError, match=r'unlabeled.data_prefix.img_path: image folder ".*nowhere" not found'):
        DATASETS.build(dict(EXTRA, data_root=mixed_root, data_prefix=dict(img_path='nowhere')))
    with pytest.raises(ValueError, match=r'unlabeled.data_prefix.seg_map_path: an unlabeled dataset reads no labels'):
        DATASETS.build(dict(EXTRA, data_root=mixed_root, data_prefix=dict(img_path='leftImg8bit/train_extra',
                                                                          seg_map_path='gtFine/train')))
    reads_labels = DATASETS.build(dict(EXTRA, data_root=mixed_root, pipeline=[
        dict(type='LoadImageFromFile'), dict(type='GenerateEdge'), dict(type='PackSegInputs')]))
    with pytest.raises(ValueError, match=r'train_dataloader.dataset.unlabeled.pipeline: a transform reads the label'):
        reads_labels[0]


def test_sources_that_break_the_labeled_unlabeled_split_are_named(mixed_root):
    cfg = mixed_cfg(mixed_root).train_dataloader.dataset
    labeled = copy.deepcopy(cfg.labeled)
    wrong = DATASETS.build(dict(type='LabeledUnlabeledDataset', labeled=labeled, unlabeled=copy.deepcopy(labeled),
                                data_root=cfg.data_root, pipeline=cfg.pipeline))
    with pytest.raises(ValueError, match=r'train_dataloader.dataset.unlabeled: a sample of the unlabeled source has '
                       r'a gt_sem_seg'):
        wrong[wrong.num_labeled]
    no_labels = copy.deepcopy(cfg)
    no_labels.labeled.pipeline = [t for t in no_labels.pipeline if t['type'] != 'LoadAnnotations']
    no_labels.pop('pipeline')
    with pytest.raises(ValueError, match=r'train_dataloader.dataset.labeled.pipeline: a transform reads the label '
                       r"map \('gt_seg_map'\) that no step loaded"):
        DATASETS.build(no_labels)[0]  # the tiny pipeline's RandomCrop(cat_max_ratio=0.75) reads it
    for t in no_labels.labeled.pipeline:
        t.pop('cat_max_ratio', None)
    with pytest.raises(ValueError, match=r'train_dataloader.dataset.labeled.pipeline: a labeled sample without '
                       r'gt_sem_seg'):
        DATASETS.build(no_labels)[0]


def test_missing_unlabeled_folder_names_its_key_and_the_cityscapes_download(city_root):
    cfg = Config.fromfile(str(UNLABELED))
    cfg.train_dataloader.dataset.data_root = city_root  # has leftImg8bit/train and val, no train_extra
    cfg.val_dataloader.dataset.data_root = city_root
    with pytest.raises(FileNotFoundError, match=r'train_dataloader.dataset.unlabeled.data_root: dataset folder '
                       r'".*leftImg8bit/train_extra" \(UnlabeledImageDataset\) not found\. Download '
                       r'leftImg8bit_trainextra.zip'):
        check_data_roots(cfg)


def test_demo_generator_adds_extra_scenes_without_changing_train_and_val(tmp_path):
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    assert make_street_scenes(a, n_train=2, n_val=1, size=(32, 64)) == {'train': 2, 'val': 1}
    assert make_street_scenes(b, n_train=2, n_val=1, size=(32, 64), n_extra=3) == {'train': 2, 'val': 1,
                                                                                     'train_extra': 3}
    for sub in ('leftImg8bit/train', 'leftImg8bit/val', 'gtFine/train', 'gtFine/val'):
        for city in os.listdir(osp.join(a, sub)):
            names = sorted(os.listdir(osp.join(a, sub, city)))
            assert names == sorted(os.listdir(osp.join(b, sub, city)))
            assert filecmp.cmpfiles(osp.join(a, sub, city), osp.join(b, sub, city), names, shallow=False)[0] == names
    extra = sorted(osp.join(c, n) for c in os.listdir(osp.join(b, 'leftImg8bit/train_extra'))
                   for n in os.listdir(osp.join(b, 'leftImg8bit/train_extra', c)))
    assert len(extra) == 3 and all(n.endswith('_leftImg8bit.png') for n in extra)
    assert not osp.exists(osp.join(b, 'gtFine', 'train_extra'))


# ----------------------------------------------------------------------------- the distiller
def test_decode_loss_is_the_labeled_ce_and_distillation_losses_see_every_sample(models):
    """Eval mode (no drop path, BN on running statistics: the rows of a batch do not interact)."""
    model = models(UNLABELED).eval()
    full = model.data_preprocessor(batch([True] * 4, seed=1), True)
    data = model.data_preprocessor(batch([True, False, True, False], seed=1), True)
    assert torch.equal(full['inputs'], data['inputs'])
    out = model.loss(**data)
    with torch.no_grad():  # by hand: the labeled rows' logits on the label grid, mmseg's CE mean (ignore pixels
        # count in the denominator with avg_non_ignore=False, as mmseg's CrossEntropyLoss does)
        logits = model.student.decode_head(model.student.extract_feat(data['inputs']))[[0, 2]]
        logits = F.interpolate(logits, size=CROP, mode='bilinear', align_corners=False)
        gt = torch.stack([data['data_samples'][i].gt_sem_seg.data[0] for i in (0, 2)]).long()
        ce = F.cross_entropy(logits, gt, ignore_index=255, reduction='sum') / gt.numel()
    assert (gt == 255).any() and out['decode.loss_ce'].item() == pytest.approx(ce.item(), rel=1e-5)
    ref = model.loss(**full)  # the same images, all labeled
    for key in ('loss_csf', 'loss_pea'):
        assert torch.equal(out[key], ref[key])  # on all four samples, labels or not
    assert not torch.isclose(out['decode.loss_ce'], ref['decode.loss_ce'])


def test_all_labeled_batches_take_todays_path_and_the_row_path_is_bit_exact(models, monkeypatch):
    model = models(UNLABELED).train()
    data = model.data_preprocessor(batch([True] * 3, seed=2), True)

    def run(forward):
        torch.manual_seed(0)  # drop path draws the same
        model.zero_grad()
        losses = forward()
        sum(losses[k] for k in losses if k.startswith('decode.loss')).backward()
        return {k: v.detach() for k, v in losses.items()}, {n: p.grad.clone() for n, p in
                                                            model.student.named_parameters() if p.grad is not None}

    rows = torch.arange(3)
    plain = run(lambda: model.student.loss(data['inputs'], data['data_samples']))
    by_rows = run(lambda: model._student_loss_on_rows(data['inputs'], data['data_samples'], rows))
    assert_same_tensors(by_rows, plain, 'decode losses and gradients')
    assert not any('loss_by_feat' in vars(m) for m in model.student.modules())  # the heads are restored
    monkeypatch.setattr(type(model), '_student_loss_on_rows', lambda *a: pytest.fail('all labeled: today\'s path'))
    model.loss(**data)


@pytest.mark.parametrize('config,gt_loss,free_loss', [(IFVD, 'loss_ifv', 'loss_pi'), (CIRKD, 'loss_region',
                                                                                      'loss_kd')])
def test_gt_reading_losses_see_only_the_labeled_samples(config, gt_loss, free_loss, models):
    """IFVD's class prototypes (a mean over all B·h·w pixels) and CIRKD's regions: the value on a mixed batch is the
    value on its labeled samples alone (an unlabeled row filled with ignore labels would dilute IFVD's mean), and
    changing the unlabeled images moves the label-free loss only."""
    model = models(config).eval()
    assert model.gt_losses() == [gt_loss]
    mixed = batch([True, False, True, False], seed=3)
    alone = dict(inputs=mixed['inputs'][0::2], data_samples=mixed['data_samples'][0::2])
    other = batch([True, False, True, False], seed=3)
    other['inputs'][1] = other['inputs'][1].flip(-1)
    other['inputs'][3] = 255 - other['inputs'][3]
    out, ref, moved = (model.loss(**model.data_preprocessor(copy.deepcopy(b), True)) for b in (mixed, alone, other))
    assert out[gt_loss].item() == pytest.approx(ref[gt_loss].item(), rel=1e-5) and out[gt_loss] > 1e-6
    assert moved[gt_loss].item() == pytest.approx(out[gt_loss].item(), rel=1e-6)
    assert not torch.isclose(moved[free_loss], out[free_loss])


def test_an_all_unlabeled_batch_gives_zero_label_losses_and_gradients_everywhere(models):
    """CIRKD: its projection head (connectors.embed) feeds only the GT-reading region loss, which has no labeled
    sample here; it still gets a (zero) gradient, as every trainable parameter must under DDP without
    find_unused_parameters."""
    model = models(CIRKD).train()
    out = model.loss(**model.data_preprocessor(batch([False, False], seed=4), True))
    assert out['decode.loss_ce'].item() == 0.0 and out['loss_region'].item() == 0.0 and out['loss_kd'] > 0
    assert all(torch.isfinite(v).all() for v in out.values())
    sum(v for k, v in out.items() if 'loss' in k).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing
    assert all(p.grad.abs().max() == 0 for p in model.connectors.embed.parameters())


def test_a_recipe_whose_losses_all_read_gt_is_refused_unless_an_input_is_dropped(mixed_root, tmp_path):
    """HeteroAKD's four losses read GT: unlabeled images would teach nothing. Dropping its logit KD's gt input (it
    only masks ignore pixels) through the recipe overrides makes it a label-free loss."""
    model = build(UNLABELED, mixed_root, tmp_path, recipe='heteroakd')
    with pytest.raises(ValueError, match=r'train_dataloader.dataset.unlabeled: every distillation loss reads GT '
                       r'\(model.distill_losses.loss_kd, model.distill_losses.loss_hakd, .*loss_proj_t\)'):
        model.check_unlabeled()
    data = model.data_preprocessor(batch([True, False]), True)
    with pytest.raises(ValueError, match=r'every distillation loss reads GT'):
        model.loss(**data)
    model = build(UNLABELED, mixed_root, tmp_path, recipe='heteroakd',
                  distill_losses=dict(loss_kd=dict(inputs=dict(gt=None))))
    assert 'loss_kd' not in model.gt_losses() and len(model.gt_losses()) == 3
    model.check_unlabeled()
    assert torch.isfinite(model.loss(**data)['loss_kd'])


@pytest.mark.parametrize('change,match', [
    ('recipe', r'every distillation loss reads GT \(model.distill_losses.loss_kd'),
    ('student', r'train_dataloader.dataset.unlabeled: EncoderDecoder cannot learn from images without labels'),
    ('sampler', r"train_dataloader.sampler: train_dataloader.dataset has unlabeled images; mix them into every "
                r"batch with sampler=dict\(type='LabeledUnlabeledSampler'"),
    ('epochs', r'LabeledUnlabeledSampler never ends an epoch'),
    ('batch', r'train_dataloader.sampler.batch_size=2 differs from train_dataloader.batch_size=4')])
def test_the_training_loop_refuses_unusable_unlabeled_runs_before_the_first_step(change, match, mixed_root,
                                                                                  tmp_path):
    cfg = mixed_cfg(mixed_root, str(tmp_path), max_iters=2)
    if change == 'recipe':
        cfg.model.recipe = 'ka_kd'  # KA's logit KD reads GT to mask ignore pixels: its only loss
    elif change == 'student':
        cfg.model = cfg.model.student
    elif change == 'sampler':
        cfg.train_dataloader.sampler = dict(type='InfiniteSampler', shuffle=True)
    elif change == 'epochs':
        cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
    else:
        cfg.train_dataloader.sampler.batch_size = 2
    enable_exact_resume(cfg)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=match):
        runner.train()
    assert not any(n.endswith('.pth') for n in os.listdir(tmp_path))


def test_shipped_unlabeled_configs_add_an_unlabeled_source_to_their_labeled_set(mixed_root):
    for config, labeled_only in SHIPPED.items():
        cfg, base = Config.fromfile(str(REPO / config)), Config.fromfile(str(REPO / labeled_only))
        loader = cfg.train_dataloader
        assert {k: v for k, v in loader.sampler.items() if k != '_scope_'} == dict(
            type='LabeledUnlabeledSampler', shuffle=True, unlabeled_ratio=0.5)
        assert loader.batch_size == 2 * base.train_dataloader.batch_size  # the student alone's labeled batch
        assert loader.dataset.labeled == base.train_dataloader.dataset
        assert loader.dataset.unlabeled.data_prefix.img_path == 'leftImg8bit/train_extra'
        assert cfg.model == base.model and cfg.train_cfg == base.train_cfg
        # the real pipelines on tiny data in this layout: both sources, the unlabeled crops at the config's size
        loader.dataset.data_root = mixed_root
        ds = DATASETS.build(loader.dataset)
        assert (ds.num_labeled, ds.num_unlabeled) == (4, 6)
        sample = ds[SeededIndex(5, 0)]
        crop = next(t for t in cfg.train_pipeline if t['type'] == 'RandomCrop')['crop_size']
        assert 'gt_sem_seg' not in sample['data_samples'] and all(s <= c for s, c in zip(sample['inputs'].shape[-2:],
                                                                                         crop))


# ----------------------------------------------------------------------------- real runs
def test_a_run_on_both_sources_resumes_bit_exactly_after_a_kill(mixed_root, tmp_path):
    """The shipped TransKD-Base unlabeled config (tiny), 2 labeled + 2 unlabeled per step: SIGKILL during step 4 of 4
    after iter_2.pth, --resume, compared with the uninterrupted run."""
    cfg = mixed_cfg(mixed_root, max_iters=4, val_interval=100)
    cfg.default_hooks.checkpoint.update(interval=2)
    cfg.optim_wrapper.optimizer.lr = 1e-3  # moves the weights (test_resume.py)
    cfg.param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=1.0, begin=0, end=4, by_epoch=False)]
    ref, work, killed, resumed = (str(tmp_path / n) for n in ('ref', 'work', 'killed', 'resumed'))
    assert train(cfg, str(tmp_path / 'ref_work'), ref) == [0]
    assert train(cfg, work, killed, kill_at=3) == [-signal.SIGKILL]
    assert last_checkpoint(work) == osp.join(work, 'iter_2.pth')
    assert torch.load(osp.join(work, 'iter_2.pth'), weights_only=True)['meta']['exact_resume']['consumed'] == 8
    assert train(cfg, work, resumed, '--resume') == [0]
    assert load(resumed, 'start.pt')['iter'] == 2
    reference = losses(ref)
    assert len(set(reference.values())) == 4 and losses(resumed) == {i: reference[i] for i in (2, 3)}
    assert_same_tensors(load(resumed, 'final.pt'), load(ref, 'final.pt'), 'final weights')
    log = open(next(osp.join(r, f) for r, _, fs in os.walk(work) for f in fs if f.endswith('.log'))).read()
    assert 'decode.loss_ce' in log and 'loss_csf' in log and 'loss_pea' in log


def with_unlabeled(cfg: Config, root: str, batch_size: int) -> Config:
    """``cfg``'s training set as the labeled source next to tiny unlabeled images, 1:1 per batch."""
    labeled = cfg.train_dataloader.dataset
    cfg.train_dataloader.update(batch_size=batch_size, sampler=dict(type='LabeledUnlabeledSampler',
                                                                    unlabeled_ratio=0.5))
    cfg.train_dataloader.dataset = dict(type='LabeledUnlabeledDataset', labeled=labeled,
                                        unlabeled=dict(EXTRA, data_root=root, serialize_data=False))
    return cfg


def test_ddp_two_cpu_processes_with_both_sources(mixed_root, tmp_path):
    """2 processes x (1 labeled + 1 unlabeled): rank-identical weights, and the first step's gradient is the single
    process's over the same 2 + 2 samples (test_resume.py's pair without BatchNorm or drop path)."""
    cfg = with_unlabeled(ddp_cfg(mixed_root, max_iters=2, ckpt_interval=2, val_interval=100), mixed_root, 2)
    ref = str(tmp_path / 'ref')
    assert train(cfg, str(tmp_path / 'ref_work'), ref, world=2) == [0, 0]
    assert_same_tensors(load(ref, 'final.pt', 0), load(ref, 'final.pt', 1), 'rank 0 vs rank 1 weights')
    single = str(tmp_path / 'single')
    one = copy.deepcopy(cfg)
    one.train_dataloader.batch_size = 4
    one.train_cfg.max_iters = 1
    assert train(one, str(tmp_path / 'single_work'), single) == [0]
    whole, ranks = load(single, 'grads.pt'), [load(ref, 'grads.pt', r) for r in range(2)]
    assert set(whole) == set(ranks[0]) and any(k.startswith('connectors.') for k in whole)
    assert_same_tensors(ranks[0], ranks[1], 'rank 0 vs rank 1 gradients')
    for name, grad in whole.items():
        assert (ranks[0][name] - grad).abs().max() <= 1e-5 * grad.abs().max(), name
    assert sum(losses(ref, r)[0] for r in range(2)) / 2 == pytest.approx(losses(single)[0], rel=1e-5)
