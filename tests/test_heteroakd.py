"""HeteroAKD: KMM / KEM / losses against hand computations, masking, gradient paths, configs and a Runner run."""
import copy
import math

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmseg.registry import MODELS

from mmseg_transkd.models.connectors import LogitProjector
from mmseg_transkd.models.losses import HeteroAKDLoss, LogitBCELoss, PixelKLDivergence
from hand import pixels, softmax
from tiny import REPO, tiny_cfg, tiny_deeplabv3


def sig(x):
    return 1 / (1 + math.exp(-x))


def bce(z, y):
    return -(y * math.log(sig(z)) + (1 - y) * math.log(1 - sig(z)))


def hand_mix(zs, zt, label):
    """KMM and KEM of seeds.md §2.2 for one pixel, by hand: (importance E per class, Z_mix)."""
    y = [1.0 if c == label else 0.0 for c in range(len(zs))]
    h_s = [bce(z, t) for z, t in zip(zs, y)]
    h_t = [bce(z, t) for z, t in zip(zt, y)]
    share = [hs / (ht + hs + 1e-6) for hs, ht in zip(h_s, h_t)]
    z_mix = [a * t + (1 - a) * s for a, t, s in zip(share, zt, zs)]
    return [hs + max(0.0, hs - bce(zm, t)) for hs, zm, t in zip(h_s, z_mix, y)], z_mix


def hand_soft_ce(zs, z_mix, tau):
    """−softmax(Z_mix / T)_c · log softmax(Z_s / T)_c per class."""
    p = softmax([z / tau for z in z_mix])
    return [-pc * math.log(q) for pc, q in zip(p, softmax([z / tau for z in zs]))]


def hand_heteroakd(zs, zt, label, tau):
    """Eq. 10 for one pixel, by hand: T² · Σ_c W_c · CE_c."""
    importance, z_mix = hand_mix(zs, zt, label)
    return tau ** 2 * sum(wc * ce for wc, ce in zip(softmax(importance), hand_soft_ce(zs, z_mix, tau)))


@pytest.mark.parametrize('tau,class_reduction,t_squared', [(1.0, 'sum', True), (4.0, 'sum', True),
                                                           (4.0, 'mean', False), (2.0, 'mean', True)])
def test_heteroakd_hand_computed(tau, class_reduction, t_squared):
    zs, zt = [[0.5, -0.5, 0.2], [1.5, 0.0, -1.0]], [[2.0, 1.0, -3.0], [-1.0, 0.5, 2.5]]
    labels = [0, 2]
    expected = sum(hand_heteroakd(s, t, y, tau) for s, t, y in zip(zs, zt, labels)) / 2
    expected = expected / (3 if class_reduction == 'mean' else 1) / (1 if t_squared else tau ** 2)
    loss = HeteroAKDLoss(tau=tau, class_reduction=class_reduction, t_squared=t_squared)
    assert loss(pixels(zs), pixels(zt), torch.tensor([[labels]])).item() == pytest.approx(expected, rel=1e-5)
    if class_reduction == 'mean' and not t_squared:  # the element-mean reading: default / (K·T²)
        default = HeteroAKDLoss(tau=tau)(pixels(zs), pixels(zt), torch.tensor([[labels]]))
        assert default.item() == pytest.approx(3 * tau ** 2 * expected, rel=1e-5)


@pytest.mark.parametrize('class_reduction', ['sum', 'mean'])
def test_heteroakd_spatial_weights_hand_computed(class_reduction):
    """weight_dim='spatial': per image and class, a softmax of E over the valid pixels weighs the soft CE; Σ over
    those pixels, then Σ (or mean) over classes, mean over images, × T²."""
    tau = 2.0
    zs = [[[0.5, -0.5], [1.5, 0.0], [0.2, 0.3]], [[-1.0, 2.0], [0.0, 0.0], [3.0, -1.0]]]  # 2 images × 3 pixels × K=2
    zt = [[[2.0, 1.0], [-1.0, 0.5], [0.0, 4.0]], [[1.0, 1.0], [2.0, -2.0], [-3.0, 0.5]]]
    labels = [[0, 1, 255], [1, 1, 0]]
    total = 0.0
    for img in range(2):
        valid = [p for p in range(3) if labels[img][p] != 255]
        mixed = {p: hand_mix(zs[img][p], zt[img][p], labels[img][p]) for p in valid}
        per_class = []
        for c in range(2):
            w = softmax([mixed[p][0][c] for p in valid])
            per_class.append(sum(wp * hand_soft_ce(zs[img][p], mixed[p][1], tau)[c] for wp, p in zip(w, valid)))
        total += sum(per_class) / (2 if class_reduction == 'mean' else 1)
    expected = tau ** 2 * total / 2
    z_s = torch.cat([pixels(v) for v in zs])
    z_t = torch.cat([pixels(v) for v in zt])
    loss = HeteroAKDLoss(tau=tau, weight_dim='spatial', class_reduction=class_reduction)
    assert loss(z_s, z_t, torch.tensor(labels)[:, None]).item() == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match='class_reduction'):
        HeteroAKDLoss(class_reduction='none')


def test_kmm_leans_to_whoever_errs_less():
    z_s, z_t = pixels([[0.0, 0.0]]), pixels([[6.0, -6.0]])  # the teacher is right and confident on class 0
    from mmseg_transkd.models.losses.utils import labels_on_grid
    onehot, valid = labels_on_grid(torch.tensor([[[0]]]), (1, 1), 2)
    z_mix, weights = HeteroAKDLoss().mix(z_s, z_t, onehot, valid)
    assert z_mix[0, 0].item() > 5.9 and z_mix[0, 1].item() < -5.9
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(1, 1, 1))


def test_ignore_pixels_are_excluded_and_empty_frames_give_zero():
    zs, zt = [[0.5, -0.5], [3.0, -2.0]], [[2.0, 1.0], [-9.0, 9.0]]
    one = HeteroAKDLoss()(pixels(zs[:1]), pixels(zt[:1]), torch.tensor([[[0]]]))
    with_ignored = HeteroAKDLoss()(pixels(zs), pixels(zt), torch.tensor([[[0, 255]]]))
    assert with_ignored.item() == pytest.approx(one.item(), rel=1e-6)
    for loss in (HeteroAKDLoss(), HeteroAKDLoss(weight_dim='spatial')):
        empty = loss(pixels(zs), pixels(zt), torch.tensor([[[255, 255]]]))
        assert torch.isfinite(empty) and empty.item() == 0.0
    assert LogitBCELoss()(pixels(zs), torch.tensor([[[255, 255]]])).item() == 0.0
    assert PixelKLDivergence()(pixels(zs), pixels(zt), torch.tensor([[[255, 255]]])).item() == 0.0


def test_spatial_weights_normalise_each_class_over_valid_pixels():
    zs, zt = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    gt = torch.randint(0, 3, (2, 4, 4))
    gt[0, 0] = 255
    from mmseg_transkd.models.losses.utils import labels_on_grid
    onehot, valid = labels_on_grid(gt, (4, 4), 3)
    _, w = HeteroAKDLoss(weight_dim='spatial').mix(zs, zt, onehot, valid)
    torch.testing.assert_close(w.flatten(2).sum(-1), torch.ones(2, 3))
    assert (w[0, :, 0] == 0).all()
    assert torch.isfinite(HeteroAKDLoss(weight_dim='spatial')(zs, zt, gt))


def test_logit_bce_and_pixel_kl_hand_computed():
    # BCE: logits (0, 0), label 1 -> ln 2 for both classes
    assert LogitBCELoss()(pixels([[0.0, 0.0]]), torch.tensor([[[1]]])).item() == pytest.approx(math.log(2))
    # KL(teacher || student) with T: student (0, 0), teacher (ln 3, 0)
    for tau in (1.0, 2.0):
        p = softmax([math.log(3) / tau, 0.0])
        expected = tau ** 2 * sum(pi * math.log(pi / 0.5) for pi in p)
        got = PixelKLDivergence(tau=tau)(pixels([[0.0, 0.0]]), pixels([[math.log(3), 0.0]]))
        assert got.item() == pytest.approx(expected, rel=1e-5)


def test_teacher_logits_are_resized_to_the_student_grid_and_get_no_gradient():
    z_s = torch.randn(2, 4, 8, 16, requires_grad=True)
    z_t = torch.randn(2, 4, 32, 64, requires_grad=True)  # a D8 teacher against a 1/32 student
    gt = torch.randint(0, 4, (2, 64, 128))
    (HeteroAKDLoss()(z_s, z_t, gt) + PixelKLDivergence()(z_s, z_t, gt)).backward()
    assert z_s.grad is not None and z_s.grad.abs().sum() > 0 and z_t.grad is None


def test_projector_default_has_no_activation_and_can_be_negative():
    proj = LogitProjector([8, 16], num_classes=[5]).eval()
    out = proj([torch.randn(1, 8, 4, 4), torch.randn(2, 16, 2, 2)])
    assert len(out) == 1 and out[0].shape == (2, 5, 2, 2) and (out[0] < 0).any()
    assert proj.projs[0].with_norm and not proj.projs[0].with_activation


CONFIGS = {
    'segformer-b4_deeplabv3-r18_city.py': (512, 512, 19),
    'deeplabv3-r101_segformer-b0_city.py': (256, 2048, 19),
    'deeplabv3-mitb4_deeplabv3-mbv2_city.py': (320, 512, 19),
    'deeplabv3-r101_segformer-b0_ade20k.py': (256, 2048, 150),
    'deeplabv3-r101_segformer-b0_voc12aug.py': (256, 2048, 21),
}


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_shipped_configs_build_with_projectors_from_the_networks(name, monkeypatch):
    monkeypatch.chdir(REPO)  # the MiT-B4 pair names its teacher config by a repo-relative path
    cfg = Config.fromfile(str(REPO / 'configs/heteroakd' / name))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.teacher['load_checkpoint'] = False
    for side in (model_cfg.student, model_cfg.teacher):
        if isinstance(side, dict) and 'backbone' in side:
            side.backbone.pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    c_s, c_t, k = CONFIGS[name]
    assert model.connectors.proj_s.projs[0].conv.in_channels == c_s
    assert model.connectors.proj_t.projs[0].conv.in_channels == c_t
    assert model.connectors.proj_s.projs[0].conv.out_channels == model.connectors.proj_t.projs[0].conv.out_channels == k
    assert set(model.distill_losses) == {'loss_kd', 'loss_hakd', 'loss_proj_s', 'loss_proj_t'}
    assert model.distill_losses.loss_kd.loss_weight == 0.1 and model.distill_losses.loss_hakd.tau == 4.0
    check_recipe(cfg, segformer_student=c_s == 256)


def check_recipe(cfg: Config, segformer_student: bool) -> None:
    """CIRKD's recipes (issue 16): SegFormer students plain AdamW 2e-4 / wd 1e-4 / poly 0.9 at 8 x 1, no head lr
    multiplier or warm-up; CNN students SGD 0.02 / wd 1e-4 / poly 0.9, 40k iterations at 8 x 2."""
    opt, sched = cfg.optim_wrapper, cfg.param_scheduler
    assert '_delete_' not in opt and 'paramwise_cfg' not in opt and len(sched) == 1
    assert sched[0].type == 'PolyLR' and sched[0].power == 0.9 and sched[0].end == cfg.train_cfg.max_iters
    if segformer_student:
        assert opt.optimizer.type == 'AdamW' and opt.optimizer.lr == 2e-4 and opt.optimizer.weight_decay == 1e-4
        assert cfg.train_dataloader.batch_size == 1
    else:
        assert opt.optimizer.type == 'SGD' and opt.optimizer.lr == 0.02 and opt.optimizer.weight_decay == 1e-4
        assert cfg.train_dataloader.batch_size == 2 and cfg.train_cfg.max_iters == 40000


def test_mit_b4_deeplabv3_teacher_trains_with_a_transformer_recipe():
    cfg = Config.fromfile(str(REPO / 'configs/heteroakd/deeplabv3-mitb4_deeplabv3-mbv2_teacher_city.py'))
    assert cfg.model.backbone.type == 'MixVisionTransformer' and cfg.model.backbone.num_layers == [3, 8, 27, 3]
    assert cfg.model.decode_head.type == 'ASPPHead' and cfg.model.auxiliary_head.type == 'FCNHead'
    opt = cfg.optim_wrapper
    assert opt.optimizer.type == 'AdamW' and opt.optimizer.lr == 6e-5 and opt.optimizer.weight_decay == 0.01
    assert opt.paramwise_cfg.custom_keys.head.lr_mult == 10.0
    assert [s.type for s in cfg.param_scheduler] == ['LinearLR', 'PolyLR'] and cfg.train_cfg.max_iters == 160000
    student = Config.fromfile(str(REPO / 'configs/heteroakd/deeplabv3-mitb4_deeplabv3-mbv2_city.py'))
    assert student.model.teacher.checkpoint.endswith('teacher_city/iter_160000.pth')


def test_runner_smoke_cnn_teacher_to_mit_student(city_root, tmp_path):
    base = Config.fromfile(str(REPO / 'configs/heteroakd/deeplabv3-r101_segformer-b0_city.py'))
    teacher = tiny_deeplabv3(base.model.student.data_preprocessor)
    teacher['data_preprocessor']['size'] = (64, 64)
    cfg = tiny_cfg(None, city_root, str(tmp_path / 'work'), max_iters=4, val_interval=4,
                   config=REPO / 'configs/heteroakd/deeplabv3-r101_segformer-b0_city.py', teacher=teacher)
    runner = Runner.from_cfg(cfg)
    model = runner.model
    teacher_before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    proj_t_before = {k: v.clone() for k, v in model.connectors.proj_t.state_dict().items()}
    runner.train()
    scalars = runner.message_hub.log_scalars
    for key in ('loss_kd', 'loss_hakd', 'loss_proj_s', 'loss_proj_t', 'decode.loss_ce'):
        assert f'train/{key}' in scalars and math.isfinite(scalars[f'train/{key}'].current())
    assert 'val/mIoU' in scalars
    assert all(torch.equal(v, teacher_before[k]) for k, v in model.teacher.state_dict().items())
    assert not any(m.training for m in model.teacher.modules())
    # the teacher projector is trained (its own GT supervision), so DDP has no unused parameters
    assert any(not torch.equal(v, proj_t_before[k]) for k, v in model.connectors.proj_t.state_dict().items()
               if v.is_floating_point())
