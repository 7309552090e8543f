"""C2VKD: every VLFD / PDD term against a hand computation, the frozen CLIP pool (teacher and student side), the layer4
tap, gradient paths, the shipped configs and their variants, the baselines on the CNN -> ViT pair and a Runner run of a
tiny CNN -> MiT pair."""
import copy
import importlib.util
import logging
import math
import os.path as osp

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner
from mmseg.registry import MODELS

from mmseg_transkd.engine import LogNoteHook
from mmseg_transkd.models.connectors import C2VKDLinguisticAdapter, C2VKDVisualAdapter, CLIPAttentionPool2d
from mmseg_transkd.models.connectors.c2vkd import AttnPoolCheckpointError
from mmseg_transkd.models.losses import ChannelKLDivergence, CrossImageGramLoss, PixelDecoupledKD
from hand import kl, pixels, softmax
from tiny import REPO, STUDENT_DIMS, STUDENT_DEPTHS, expanded, shrink_mit, tiny_cfg, tiny_deeplabv3plus, \
    write_attnpool_checkpoint

C2VKD = REPO / 'configs/c2vkd'
CITY_B0 = C2VKD / 'deeplabv3plus-r101_segformer-b0_city.py'


# ----------------------------------------------------------------------------------------------------- VLFD terms
def test_global_term_is_the_mean_over_all_elements_hand_computed():
    s, t = [[0.5, -1.0, 2.0], [0.0, 0.3, -0.2]], [[1.0, 0.0, -1.0], [2.0, 2.0, 0.5]]
    per_pixel = [kl(softmax(b), softmax(a)) for a, b in zip(s, t)]  # KL(teacher || student) over the 3 channels
    got = ChannelKLDivergence()(pixels(s), pixels(t))
    assert got.item() == pytest.approx(sum(per_pixel) / 6, rel=1e-6)  # / (B·H·W·C) = 2 pixels · 3 channels
    pixel = ChannelKLDivergence(reduction='pixel', loss_weight=0.1)(pixels(s), pixels(t))
    assert pixel.item() == pytest.approx(0.1 * sum(per_pixel) / 2, rel=1e-6)
    tau = 2.0
    hot = [kl(softmax([x / tau for x in b]), softmax([x / tau for x in a])) for a, b in zip(s, t)]
    assert ChannelKLDivergence(tau=tau)(pixels(s), pixels(t)).item() == pytest.approx(
        tau ** 2 * sum(hot) / 6, rel=1e-6)


def test_linguistic_term_on_vectors_hand_computed():
    g_s, g_t = [[0.1, 0.2, -0.3, 1.0], [2.0, 0.0, 0.0, -2.0]], [[0.0, 1.0, 0.0, 0.0], [1.0, 1.0, -1.0, 0.5]]
    expected = sum(kl(softmax(b), softmax(a)) for a, b in zip(g_s, g_t)) / 8
    got = ChannelKLDivergence(loss_weight=0.5)(torch.tensor(g_s), torch.tensor(g_t))
    assert got.item() == pytest.approx(0.5 * expected, rel=1e-6)


def test_teacher_map_is_resized_to_the_student_grid():
    s, t = torch.randn(2, 6, 4, 4), torch.randn(2, 6, 4, 4)
    t_big = t.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)  # a D8 teacher at twice the grid
    for loss in (ChannelKLDivergence(), CrossImageGramLoss()):
        torch.testing.assert_close(loss(s, t_big), loss(s, t))
    with pytest.raises(ValueError, match='ChannelKLDivergence: stage 1'):
        ChannelKLDivergence()(torch.randn(1, 6, 2, 2), torch.randn(1, 5, 2, 2))


def gram_nxn(s, t):
    """The direct form: N×N Gram matrices over all positions of the batch (float64)."""
    def rows(x):
        x = x.double().permute(0, 2, 3, 1).reshape(-1, x.shape[1])
        x = x / x.norm(dim=1, keepdim=True)
        return x - x.mean(dim=1, keepdim=True)
    x_s, x_t = rows(s), rows(t)
    c = x_s.shape[1]
    return ((x_s @ x_s.t() / (c - 1) - x_t @ x_t.t() / (c - 1)) ** 2).mean()


def test_patch_term_low_memory_form_equals_the_nxn_form():
    torch.manual_seed(0)
    s, t = torch.randn(3, 7, 4, 5), torch.randn(3, 7, 4, 5)
    expected = gram_nxn(s, t).item()
    assert CrossImageGramLoss()(s, t).item() == pytest.approx(expected, rel=1e-4)
    assert CrossImageGramLoss(fp64=True)(s, t).item() == pytest.approx(expected, rel=1e-6)  # float64, returned as fp32
    # positions of different images interact: the loss is not the mean of per-image losses
    per_image = sum(gram_nxn(s[i:i + 1], t[i:i + 1]).item() for i in range(3)) / 3
    assert abs(per_image - expected) > 1e-3 * expected


def test_patch_term_hand_computed_on_two_positions():
    # B=1, C=3, two positions; rows normalised then centred, G = X Xᵀ / 2
    s, t = [[3.0, 0.0, 4.0], [1.0, 1.0, 1.0]], [[0.0, 1.0, 0.0], [1.0, 2.0, 2.0]]

    def rows(m):
        out = []
        for r in m:
            n = math.sqrt(sum(v * v for v in r))
            r = [v / n for v in r]
            mean = sum(r) / 3
            out.append([v - mean for v in r])
        return out
    xs, xt = rows(s), rows(t)
    g = lambda x, i, j: sum(a * b for a, b in zip(x[i], x[j])) / 2  # noqa: E731
    expected = sum((g(xs, i, j) - g(xt, i, j)) ** 2 for i in range(2) for j in range(2)) / 4
    assert CrossImageGramLoss()(pixels(s), pixels(t)).item() == pytest.approx(expected, rel=1e-5)


def test_vlfd_terms_run_in_fp32_under_autocast_and_reach_only_the_student():
    s = torch.randn(2, 16, 4, 4, requires_grad=True)
    t = torch.randn(2, 16, 8, 8, requires_grad=True)
    with torch.no_grad():
        ref = CrossImageGramLoss()(s, t)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        gram, glob = CrossImageGramLoss()(s.bfloat16(), t.bfloat16()), ChannelKLDivergence()(s, t)
    assert gram.dtype == glob.dtype == torch.float32
    assert gram.item() == pytest.approx(ref.item(), rel=2e-2)  # only the bf16 inputs differ
    (gram + glob).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0 and t.grad is None


# ---------------------------------------------------------------------------------------------------------- PDD
def binary(p, y):
    return [p[y], sum(v for c, v in enumerate(p) if c != y)]


def hand_pdd(zs, zt, y, mode, alpha=0.5, beta=0.5, tau=1.0):
    """PDD at one pixel in plain Python, T² included (the loss averages this over the valid pixels)."""
    s, t = softmax([v / tau for v in zs]), softmax([v / tau for v in zt])
    b_s, b_t = binary(s, y), binary(t, y)
    if mode == 'paper_binary':  # 0.5 · KL(b_s ‖ (α·b_t + β·[1, 0]) / (α + β))
        q = [(alpha * b_t[0] + beta) / (alpha + beta), alpha * b_t[1] / (alpha + beta)]
        return 0.5 * kl(b_s, q) * tau ** 2
    # DKD: α · KL(b_t ‖ b_s) + β · KL over the non-target classes renormalised
    t_nt = [v / b_t[1] for c, v in enumerate(t) if c != y]
    s_nt = [v / b_s[1] for c, v in enumerate(s) if c != y]
    return (alpha * kl(b_t, b_s) + beta * kl(t_nt, s_nt)) * tau ** 2


def batch_logits(values):
    """[[[K logits] per pixel] per image] -> B×K×1×N."""
    return torch.tensor(values).permute(0, 2, 1)[:, :, None, :]


# two images of 3 pixels, 4 classes; image 0 has 1 valid pixel, image 1 has 3
PDD_S = [[[1.0, 0.0, -1.0, 0.5], [0.2, 0.1, 3.0, -0.4], [-0.5, 2.0, 0.3, 0.0]],
         [[0.3, -1.2, 0.8, 2.0], [1.5, 0.5, -0.5, 0.0], [0.0, 0.7, 0.0, 1.0]]]
PDD_T = [[[2.0, 1.0, 0.0, -1.0], [5.0, -5.0, 0.0, 1.0], [0.0, 0.0, 4.0, 0.5]],
         [[-1.0, 0.5, 3.0, 1.0], [0.0, 2.5, 0.5, -2.0], [1.0, -1.0, 0.2, 0.4]]]
PDD_Y = [[1, 255, 255], [3, 2, 0]]


@pytest.mark.parametrize('mode', ['dkd', 'paper_binary'])
def test_pdd_hand_computed_alpha_ne_beta_t2_and_ignore_pixels(mode):
    alpha, beta, tau = 0.3, 1.7, 2.0
    per_pixel = {(b, n): hand_pdd(PDD_S[b][n], PDD_T[b][n], PDD_Y[b][n], mode, alpha, beta, tau)
                 for b in range(2) for n in range(3) if PDD_Y[b][n] != 255}
    expected = sum(per_pixel.values()) / 4  # the mean over the 4 valid pixels of the batch, images pooled
    per_image = (per_pixel[0, 0] + sum(per_pixel[1, n] for n in range(3)) / 3) / 2
    assert abs(per_image - expected) > 1e-2 * expected  # the case tells the two reductions apart
    loss = PixelDecoupledKD(mode=mode, alpha=alpha, beta=beta, tau=tau, loss_weight=0.7)
    got = loss(batch_logits(PDD_S), batch_logits(PDD_T), torch.tensor(PDD_Y)[:, None])
    assert got.item() == pytest.approx(0.7 * expected, rel=1e-5)
    # α ≠ β matters (the paper_binary mode used to ignore both)
    one_to_one = PixelDecoupledKD(mode=mode, alpha=1.0, beta=1.0, tau=tau, loss_weight=0.7)(
        batch_logits(PDD_S), batch_logits(PDD_T), torch.tensor(PDD_Y)[:, None])
    assert abs(one_to_one.item() - got.item()) > 1e-2 * got.item()
    none = torch.full((2, 1, 3), 255)
    assert loss(batch_logits(PDD_S), batch_logits(PDD_T), none).item() == 0.0


def test_pdd_alpha_beta_meaning_in_each_mode():
    zs, zt, y = batch_logits(PDD_S), batch_logits(PDD_T), torch.tensor(PDD_Y)[:, None]

    def pdd(mode, a, b):
        return PixelDecoupledKD(mode=mode, alpha=a, beta=b)(zs, zt, y).item()
    assert PixelDecoupledKD().mode == 'dkd'  # the default (issue 15)
    # dkd: α and β are absolute weights of TCKD and NCKD
    assert pdd('dkd', 1.0, 2.0) == pytest.approx(pdd('dkd', 1.0, 0.0) + 2 * pdd('dkd', 0.0, 1.0), rel=1e-5)
    assert pdd('dkd', 1.0, 1.0) == pytest.approx(2 * pdd('dkd', 0.5, 0.5), rel=1e-5)
    # paper_binary: only the ratio α : β of the target mix matters; α : β = 1 : 0 targets the teacher's split alone
    assert pdd('paper_binary', 1.0, 1.0) == pytest.approx(pdd('paper_binary', 0.5, 0.5), rel=1e-6)
    assert PixelDecoupledKD(mode='paper_binary', alpha=1.0, beta=0.0)(zt, zt, y).item() == pytest.approx(0.0, abs=1e-6)
    # 1 : 1 targets (b_t + [1, 0]) / 2: a student already at that split has zero loss
    b_t = binary(softmax([0.0, 1.0]), 0)
    target = (b_t[0] + 1) / 2
    z_s = [math.log(target / (1 - target)), 0.0]
    assert PixelDecoupledKD(mode='paper_binary')(pixels([z_s]), pixels([[0.0, 1.0]]), torch.tensor([[[0]]])).item() \
        == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match='alpha and beta must be >= 0'):
        PixelDecoupledKD(alpha=-0.5)
    with pytest.raises(ValueError, match='not both 0 in paper_binary'):
        PixelDecoupledKD(mode='paper_binary', alpha=0.0, beta=0.0)


@pytest.mark.parametrize('s_y', [0.05, 0.001])
def test_pdd_gradient_on_a_suppressed_target_class(s_y):
    """Why dkd is the default (issue 15): with CE weight 0, dkd's gradient on the target logit is α · (s_y − t_y)
    (TCKD; NCKD does not see z_y), while paper_binary's scales like s_y · log s_y and vanishes as s_y → 0."""
    k, t_y = 19, 0.9

    def logits(p):  # target probability p, the rest uniform
        return [math.log(p * (k - 1) / (1 - p))] + [0.0] * (k - 1)
    z_t, gt = pixels([logits(t_y)]), torch.tensor([[[0]]])
    grads = {}
    for mode in ('dkd', 'paper_binary'):
        z_s = pixels([logits(s_y)]).requires_grad_(True)
        PixelDecoupledKD(mode=mode)(z_s, z_t, gt).backward()
        grads[mode] = z_s.grad[0, 0, 0, 0].item()
    assert grads['dkd'] == pytest.approx(0.5 * (s_y - t_y), rel=1e-4)
    ce = s_y - 1  # d CE / d z_y
    assert grads['paper_binary'] / ce < (0.2 if s_y == 0.05 else 0.01)


def test_pdd_resizes_to_the_labels_and_reaches_only_the_student():
    z_s = torch.randn(2, 5, 4, 4, requires_grad=True)
    z_t = torch.randn(2, 5, 8, 8, requires_grad=True)
    gt = torch.randint(0, 5, (2, 16, 16))
    gt[:, :2] = 255
    label, student = PixelDecoupledKD()(z_s, z_t, gt), PixelDecoupledKD(size='student')(z_s, z_t, gt)
    up = lambda z: F.interpolate(z, size=(16, 16), mode='bilinear', align_corners=False)  # noqa: E731
    torch.testing.assert_close(label, PixelDecoupledKD()(up(z_s), up(z_t), gt))
    assert torch.isfinite(student) and student.item() != pytest.approx(label.item())
    (label + student).backward()
    assert z_s.grad is not None and z_s.grad.abs().sum() > 0 and z_t.grad is None
    with pytest.raises(ValueError, match="mode must be 'dkd' or 'paper_binary'"):
        PixelDecoupledKD(mode='nckd')


# ---------------------------------------------------------------------------------------------- connectors / pool
def clip_reference(pool_ckpt, x, num_heads, pos):
    """CLIP's own formulation: all tokens query, torch's multi-head attention, token 0 is the global output."""
    w = torch.load(pool_ckpt)
    tokens = x.flatten(2).permute(2, 0, 1)  # HW × B × C
    tokens = torch.cat([tokens.mean(dim=0, keepdim=True), tokens], dim=0) + pos[:, None]
    out, _ = F.multi_head_attention_forward(
        query=tokens, key=tokens, value=tokens, embed_dim_to_check=tokens.shape[-1], num_heads=num_heads,
        q_proj_weight=w['q_proj.weight'], k_proj_weight=w['k_proj.weight'], v_proj_weight=w['v_proj.weight'],
        in_proj_weight=None, in_proj_bias=torch.cat([w['q_proj.bias'], w['k_proj.bias'], w['v_proj.bias']]),
        bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0, out_proj_weight=w['c_proj.weight'],
        out_proj_bias=w['c_proj.bias'], use_separate_proj_weight=True, training=False, need_weights=False)
    return out[0]


def grid_pos(pos, size, mode='bilinear'):
    """The spatial rows of a (S²+1)×C embedding resized to ``size`` (class row first), written out independently."""
    side = int(round((pos.shape[0] - 1) ** 0.5))
    spatial = pos[1:].reshape(side, side, -1).permute(2, 0, 1)[None]
    spatial = F.interpolate(spatial, size=size, mode=mode, align_corners=False)[0]
    return torch.cat([pos[:1], spatial.reshape(pos.shape[1], -1).t()])


def test_attention_pool_matches_clip_formulation(tmp_path):
    ckpt = write_attnpool_checkpoint(str(tmp_path / 'pool.pth'), embed_dim=8, output_dim=4, grid=3)
    pool = CLIPAttentionPool2d(ckpt, embed_dim=[8], num_heads=2, output_dim=4, pool_size=3)
    x = torch.randn(2, 8, 3, 3)
    expected = clip_reference(ckpt, x, 2, torch.load(ckpt)['positional_embedding'])
    torch.testing.assert_close(pool(x), expected, rtol=1e-5, atol=1e-6)
    # the stored 3×3 grid is resized once to pool_size² (class row kept); a larger map is pooled at its own grid with
    # that embedding interpolated to it (DenseCLIP's pool, issue 25), not resized to the stored grid
    big = CLIPAttentionPool2d(ckpt, embed_dim=8, num_heads=2, output_dim=4, pool_size=5)
    pos = torch.load(ckpt)['positional_embedding']
    assert big.positional_embedding.shape == (26, 8)
    torch.testing.assert_close(big.positional_embedding, grid_pos(pos, (5, 5)))
    x = torch.randn(2, 8, 10, 6)
    for mode in ('bilinear', 'bicubic'):
        pool = CLIPAttentionPool2d(ckpt, embed_dim=8, num_heads=2, output_dim=4, pool_size=5, pos_embed_mode=mode)
        expected = clip_reference(ckpt, x, 2, grid_pos(grid_pos(pos, (5, 5)), (10, 6), mode))
        torch.testing.assert_close(pool([x]), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="pos_embed_mode must be one of .*'nearest'"):
        CLIPAttentionPool2d(ckpt, embed_dim=8, num_heads=2, output_dim=4, pos_embed_mode='nearest')


def test_pool_is_frozen_out_of_checkpoints_and_stays_in_eval(tmp_path):
    ckpt = write_attnpool_checkpoint(str(tmp_path / 'pool.pth'), embed_dim=8, output_dim=4)
    pool = CLIPAttentionPool2d(ckpt, embed_dim=8, num_heads=2, output_dim=4, pool_size=4)
    pool.train()
    assert not pool.training and list(pool.parameters()) == [] and pool.state_dict() == {}
    assert len(list(pool.buffers())) == 9 and not any(b.requires_grad for b in pool.buffers())
    x = torch.randn(1, 8, 4, 4, requires_grad=True)
    assert not pool(x).requires_grad


def test_pool_checkpoint_errors_name_the_key_and_the_way_out(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'attnpool_ckpt is not set.*extract_clip_attnpool.*noclip'):
        CLIPAttentionPool2d(None, embed_dim=8, num_heads=2, output_dim=4)
    with pytest.raises(FileNotFoundError, match=r'attnpool_ckpt: ".*nope.pth" not found'):
        CLIPAttentionPool2d(str(tmp_path / 'nope.pth'), embed_dim=8, num_heads=2, output_dim=4)
    wrong = write_attnpool_checkpoint(str(tmp_path / 'wrong.pth'), embed_dim=8, output_dim=6)
    with pytest.raises(AttnPoolCheckpointError, match=r'c_proj.weight is \(6, 8\), expected \(4, 8\)'):
        CLIPAttentionPool2d(wrong, embed_dim=8, num_heads=2, output_dim=4)
    state = torch.load(wrong)
    del state['k_proj.bias']
    torch.save(state, tmp_path / 'partial.pth')
    with pytest.raises(AttnPoolCheckpointError, match='missing k_proj.bias'):
        CLIPAttentionPool2d(str(tmp_path / 'partial.pth'), embed_dim=8, num_heads=2, output_dim=6)
    torch.save({'positional_embedding': torch.zeros(11, 8)}, tmp_path / 'pos.pth')
    with pytest.raises(AttnPoolCheckpointError, match=r'positional_embedding is \(11, 8\)'):
        CLIPAttentionPool2d(str(tmp_path / 'pos.pth'), embed_dim=8, num_heads=2, output_dim=4)
    # a whole CLIP state dict (visual.attnpool.* keys among others) is accepted
    full = write_attnpool_checkpoint(str(tmp_path / 'full.pth'), 8, 4, prefix='visual.attnpool.')
    state = torch.load(full)
    state['visual.conv1.weight'] = torch.zeros(1)
    torch.save({'state_dict': state}, full)
    assert CLIPAttentionPool2d(full, embed_dim=8, num_heads=2, output_dim=4)(torch.randn(1, 8, 2, 2)).shape == (1, 4)


def test_student_side_pool_keeps_the_gradient_and_a_16x16_pool_checkpoint_is_used_as_is(tmp_path):
    # the authors' pool has 16² + 1 positions (issue 15): with pool_size 16 the file's embedding is used unchanged
    ckpt = write_attnpool_checkpoint(str(tmp_path / 'pool16.pth'), embed_dim=8, output_dim=4, grid=16)
    teacher = CLIPAttentionPool2d(ckpt, embed_dim=8, num_heads=2, output_dim=4, pool_size=16)
    student = CLIPAttentionPool2d(ckpt, embed_dim=8, num_heads=2, output_dim=4, pool_size=16, detach_input=False)
    pos = torch.load(ckpt)['positional_embedding']
    assert pos.shape == (257, 8) and torch.equal(student.positional_embedding, pos)
    x = torch.randn(2, 8, 32, 32, requires_grad=True)  # an OS16 map at 512²: 32×32 tokens, embedding 16² -> 32²
    g_s, g_t = student(x), teacher(x)
    expected = clip_reference(ckpt, x.detach(), 2, grid_pos(pos, (32, 32)))
    torch.testing.assert_close(g_s.detach(), expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(g_t, expected, rtol=1e-5, atol=1e-6)
    assert g_s.requires_grad and not g_t.requires_grad
    g_s.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert list(student.parameters()) == [] and student.state_dict() == {}
    assert not any(b.requires_grad for b in student.buffers())
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert student(x).dtype == torch.float32


def test_student_adapters_shapes_and_parameter_counts():
    feats = [torch.randn(2, 32, 16, 16), torch.randn(2, 256, 4, 4)]
    vis = C2VKDVisualAdapter([32, 256], [2048])
    ling = C2VKDLinguisticAdapter([32, 256], 512)
    assert vis(feats).shape == (2, 2048, 8, 8) and ling(feats).shape == (2, 512)
    assert sum(p.numel() for p in vis.parameters()) == 256 * 2048  # 1×1 conv, no bias
    assert sum(p.numel() for p in ling.parameters()) == 256 * 512
    torch.testing.assert_close(ling(feats), ling.proj(feats[1]).mean(dim=(2, 3)), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------------------ distiller / configs
@pytest.fixture(scope='module', autouse=True)
def cached_mmseg_metainfo():
    """mmengine resolves every ``mmseg::`` base by parsing all of mmseg's metafiles (~1 s each time, and a base file
    that is in no metafile is never cached); the answer cannot change within a session, so remember it here."""
    import mmengine.config.utils as cfg_utils
    original, answers = cfg_utils._get_cfg_metainfo, {}

    def cached(package_path, cfg_file):
        if (package_path, cfg_file) not in answers:
            try:
                answers[package_path, cfg_file] = (original(package_path, cfg_file), None)
            except Exception as err:  # ValueError for _base_ files: mmengine then joins the path itself
                answers[package_path, cfg_file] = (None, err)
        value, err = answers[package_path, cfg_file]
        if err is not None:
            raise err
        return value
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cfg_utils, '_get_cfg_metainfo', cached)
        yield


_PARSED = {}


def parsed(config) -> Config:
    """Config.fromfile once per file (it resolves mmseg:: bases, which takes seconds)."""
    if config not in _PARSED:
        _PARSED[config] = Config.fromfile(str(config))
    return copy.deepcopy(_PARSED[config])


def tiny_model_cfg(pool_ckpt, config=CITY_B0, **teacher_kwargs):
    model = expanded(parsed(config).model)
    shrink_mit(model.student, STUDENT_DIMS, STUDENT_DEPTHS, 16)
    model.teacher = dict(config=tiny_deeplabv3plus(model.student.data_preprocessor, **teacher_kwargs),
                         checkpoint='', load_checkpoint=False)
    if 'ling_t' in model.connectors:
        model.connectors.ling_t.update(attnpool_ckpt=pool_ckpt, num_heads=4, output_dim=16)
    return model


@pytest.mark.parametrize('os16', [False, True])
def test_teacher_tap_is_layer4_whatever_the_output_stride(os16, tmp_path):
    pool = write_attnpool_checkpoint(str(tmp_path / 'pool.pth'), embed_dim=64, output_dim=16)
    stride = dict(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2)) if os16 else {}
    model = MODELS.build(tiny_model_cfg(pool, **stride))
    x = torch.randn(2, 3, 64, 64)
    model.train()
    tensors, _ = model.distill_tensors(x)
    layer4 = tensors['T.layer4'][0]
    with torch.no_grad():
        stages = model.teacher.backbone(x)
    torch.testing.assert_close(layer4, stages[-1])
    assert layer4.shape == (2, 64, 4 if os16 else 8, 4 if os16 else 8)  # not the ASPP output (16 channels)
    assert tensors['C.vis_s'].shape == (2, 64, 4, 4)  # 2× the student's 2×2 last stage, the common grid
    assert tensors['C.ling_t'].shape == tensors['C.ling_s'].shape == (2, 16)
    assert tensors['T.logits'][0].shape[1] == tensors['S.logits'][0].shape[1] == 19


def test_gradients_reach_only_the_student_side_and_frozen_parts_stay_in_eval(tmp_path):
    pool = write_attnpool_checkpoint(str(tmp_path / 'pool.pth'), embed_dim=64, output_dim=16)
    model = MODELS.build(tiny_model_cfg(pool))
    model.train()
    assert not model.teacher.training and not model.connectors.ling_t.training
    assert model.student.training and model.connectors.vis_s.training
    assert not any(k.startswith('connectors.ling_t') or k.startswith('teacher.') for k in model.state_dict())
    assert {k for k in model.state_dict() if k.startswith('connectors.')} == {
        'connectors.vis_s.conv.weight', 'connectors.ling_s.proj.weight'}
    tensors, _ = model.distill_tensors(torch.randn(2, 3, 64, 64))
    tensors['GT'] = torch.randint(0, 19, (2, 64, 64))
    losses = {n: loss(**{a: tensors[r] for a, r in model._loss_inputs[n].items()})
              for n, loss in model.distill_losses.items()}
    assert set(losses) == {'loss_pdd', 'loss_glob', 'loss_patch', 'loss_ling'}
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    for name in ('vis_s', 'ling_s'):
        assert model.connectors[name].state_dict() and all(
            p.grad is not None and p.grad.abs().sum() > 0 for p in model.connectors[name].parameters())
    assert model.student.backbone.layers[-1][0].projection.weight.grad.abs().sum() > 0
    assert not tensors['C.ling_t'].requires_grad and not tensors['T.layer4'][0].requires_grad


def test_missing_pool_file_fails_the_build_with_a_clear_error_and_noclip_drops_the_term(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'attnpool_ckpt.*not found.*extract_clip_attnpool.*--cfg-options '
                                                r'model.connectors.ling_t.attnpool_ckpt'):
        MODELS.build(tiny_model_cfg(str(tmp_path / 'missing.pth')))
    noclip = C2VKD / 'deeplabv3plus-r101_segformer-b0_city_noclip.py'
    model = MODELS.build(tiny_model_cfg(None, config=noclip))
    assert set(model.connectors) == {'vis_s'}
    assert set(model.distill_losses) == {'loss_pdd', 'loss_glob', 'loss_patch'}
    hooks = parsed(noclip).custom_hooks
    assert [h['type'] for h in hooks] == ['LogNoteHook'] and 'NOT the paper method' in hooks[0]['note']


def test_log_note_hook_writes_the_note_into_the_log(tmp_path):
    class FakeRunner:
        logger = MMLogger.get_instance('c2vkd_note_test', log_file=str(tmp_path / 'run.log'))
    LogNoteHook('C2VKD-noCLIP: not the paper method').before_run(FakeRunner())
    for handler in FakeRunner.logger.handlers:
        handler.flush()
    assert 'C2VKD-noCLIP: not the paper method' in (tmp_path / 'run.log').read_text()
    assert LogNoteHook('x', level='info').level == logging.INFO


OS16 = 'mmseg::deeplabv3plus/deeplabv3plus_r101-d16-mg124_4xb2-80k_cityscapes-512x1024.py'
OS8 = 'mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb2-80k_cityscapes-512x1024.py'
TEACHER_CKPT = {  # mmseg 1.2.2's deeplabv3plus/metafile.yaml
    OS16: 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r101-d16-mg124_512x1024_'
          '80k_cityscapes/deeplabv3plus_r101-d16-mg124_512x1024_80k_cityscapes_20200908_005644-ee6158e0.pth',
    OS8: 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r101-d8_512x1024_80k_'
         'cityscapes/deeplabv3plus_r101-d8_512x1024_80k_cityscapes_20200606_114143-068fcfe9.pth'}
SHIPPED = {  # config -> (student stage-4 channels, classes, ce_weight, teacher output stride)
    'deeplabv3plus-r101_segformer-b0_city.py': (256, 19, 0.0, 16),
    'deeplabv3plus-r101_segformer-b1_city.py': (512, 19, 0.0, 16),
    'deeplabv3plus-r101_segformer-b0_city_safe.py': (256, 19, 1.0, 16),
    'deeplabv3plus-r101_segformer-b0_voc12aug.py': (256, 21, 0.0, 8),  # mmseg has no OS16 VOC / ADE20K model
    'deeplabv3plus-r101_segformer-b1_voc12aug.py': (512, 21, 0.0, 8),
    'deeplabv3plus-r101_segformer-b0_ade20k.py': (256, 150, 0.0, 8),
    'deeplabv3plus-r101_segformer-b1_ade20k.py': (512, 150, 0.0, 8),
    'deeplabv3plus-r101_segformer-b0_city_noclip.py': (256, 19, 0.0, 16),
}


@pytest.fixture(scope='module')
def rn101_pool(tmp_path_factory):
    """Random weights with CLIP RN101's attnpool key names and shapes (7×7+1 positions, 2048 -> 512)."""
    return write_attnpool_checkpoint(str(tmp_path_factory.mktemp('clip') / 'pool.pth'), 2048, 512)


@pytest.mark.parametrize('name', sorted(SHIPPED))
def test_shipped_configs_build_the_real_pair(name, rn101_pool):
    cfg = parsed(C2VKD / name)
    model_cfg = expanded(cfg.model)
    c_s, k, ce, stride = SHIPPED[name]
    assert model_cfg.teacher.checkpoint.startswith('https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/')
    if name.endswith(('city.py', 'safe.py', 'noclip.py')):
        assert model_cfg.teacher.config == OS16 and model_cfg.teacher.checkpoint == TEACHER_CKPT[OS16]
    else:
        assert model_cfg.teacher.config.startswith('mmseg::deeplabv3plus/deeplabv3plus_r101-d8_')
    assert model_cfg.distill_losses.loss_pdd.mode == 'dkd'
    # the Cityscapes configs run the official loader's 6 images per GPU (4 GPUs); VOC / ADE20K 8 x 3
    assert cfg.train_dataloader.batch_size == (6 if '_city' in name else 3) and cfg.train_cfg.max_iters == 50000
    assert cfg.optim_wrapper.optimizer.type == 'AdamW' and cfg.optim_wrapper.optimizer.lr == 6e-5
    assert cfg.param_scheduler[-1].power == 1.0 and cfg.param_scheduler[-1].end == 50000
    model_cfg.teacher['load_checkpoint'] = False
    model_cfg.student.backbone.pop('init_cfg', None)
    model_cfg.probe_size = (32, 32)  # the R101 probe forward dominates the build time on the CPU
    if 'ling_t' in model_cfg.connectors:
        model_cfg.connectors.ling_t.attnpool_ckpt = rn101_pool
    model = MODELS.build(model_cfg)
    assert type(model.teacher.decode_head).__name__ == 'DepthwiseSeparableASPPHead'
    backbone = model.teacher.backbone
    assert backbone.strides == ((1, 2, 2, 1) if stride == 16 else (1, 2, 1, 1))
    # mmseg multi-grid replaces the dilation: (1, 2, 4) at OS16 (torchvision's OS16 layer4, the code's, has 1, 2, 2)
    assert [b.conv2.dilation[0] for b in backbone.layer4] == ([1, 2, 4] if stride == 16 else [2, 4, 4])
    assert model.teacher.decode_head.aspp_modules[1].depthwise_conv.dilation[0] == (6 if stride == 16 else 12)
    assert model._teacher_runs[None].heads == ['decode_head']  # its logits feed PDD; the auxiliary FCN head never runs
    assert model.teacher.backbone.depth == 101 and model.connectors.vis_s.conv.out_channels == 2048
    assert model.connectors.vis_s.conv.in_channels == c_s
    assert sum(p.numel() for p in model.connectors.vis_s.parameters()) == c_s * 2048
    assert model.student.decode_head.num_classes == k
    assert model.student.decode_head.loss_decode.loss_weight == ce
    weights = {n: loss.loss_weight for n, loss in model.distill_losses.items()}
    if name.endswith('noclip.py'):
        assert weights == {'loss_pdd': 1.0, 'loss_glob': 0.1, 'loss_patch': 0.1}
        return
    assert weights == {'loss_pdd': 1.0, 'loss_glob': 0.1, 'loss_patch': 0.1, 'loss_ling': 0.5}
    pool = model.connectors.ling_t
    # q, k, v 3·(2048² + 2048), c_proj 2048·512 + 512, positional (16² + 1)·2048: ≈ 14.2 M (spec §1.7)
    assert sum(b.numel() for b in pool.buffers()) == 14_164_480
    assert pool.num_heads == 32 and model.connectors.ling_s.proj.weight.shape == (512, c_s, 1, 1)
    if name == 'deeplabv3plus-r101_segformer-b0_city.py':  # DenseCLIP's pool: tokens at layer4's own grid (issue 25)
        layer4 = torch.randn(1, 2048, 4, 3)
        pos = grid_pos(torch.load(rn101_pool)['positional_embedding'], (16, 16))  # CLIP's 7² -> the authors' 16²
        expected = clip_reference(rn101_pool, layer4, 32, grid_pos(pos, (4, 3)))
        torch.testing.assert_close(pool(layer4), expected, rtol=1e-4, atol=1e-5)


TINY_OS16 = dict(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2))
OFFICIAL = ['LoadImageFromFile', 'LoadAnnotations', 'RandomFlip', 'RandomResize', 'RandomCrop', 'PackSegInputs']
VARIANTS = {  # B0 Cityscapes variant -> what differs from deeplabv3plus-r101_segformer-b0_city.py
    'deeplabv3plus-r101-d8_segformer-b0_city.py': ['model.teacher'],
    'deeplabv3plus-r101_segformer-b0_city_paper-binary.py': ['model.distill_losses.loss_pdd.mode'],
    'deeplabv3plus-r101_segformer-b0_city_mmseg-data.py': ['train_dataloader.batch_size',
                                                           'train_dataloader.dataset.pipeline'],
    'deeplabv3plus-r101_segformer-b0_city_pool-both.py': ['model.connectors.ling_s'],
}


@pytest.fixture(scope='module')
def tiny_pool(tmp_path_factory):
    return write_attnpool_checkpoint(str(tmp_path_factory.mktemp('tiny_clip') / 'pool.pth'), 64, 16)


def one_step(model_cfg):
    """Builds a tiny model, runs one loss on a 2-image batch; returns the model and its losses."""
    from test_distiller import fake_batch
    model_cfg.probe_size = (32, 32)
    model = MODELS.build(model_cfg).train()
    losses = model.loss(**model.data_preprocessor(fake_batch(hw=(64, 64)), True))
    return model, losses


def without(cfg: Config, paths) -> dict:
    """The config as a dict, its distiller's recipe spelled out, with the dotted ``paths`` removed."""
    d = cfg.to_dict()
    if d['model'].get('type') == 'DistillSegmentor':
        d['model'] = expanded(cfg.model).to_dict()
    for path in paths:
        *parents, leaf = path.split('.')
        node = d
        for key in parents:
            node = node[key]
        node.pop(leaf)
    return d


def assert_b1_is_b0_with_b1_widths(b1: Config, b0: Config) -> None:
    """A *-b1* config equals its *-b0* config but for the MiT-B1 student's widths and weights, so the B0 config's
    checks and tiny build cover it."""
    prefix = 'model.student' if b1.model.type == 'DistillSegmentor' else 'model'
    student = b1.model.get('student', b1.model)
    assert (student.backbone.embed_dims, student.backbone.num_layers, student.decode_head.in_channels) == (
        64, [2, 2, 2, 2], [64, 128, 320, 512])
    assert student.backbone.init_cfg.checkpoint.endswith('/mit_b1_20220624-02e5a6a1.pth')
    widths = [f'{prefix}.backbone.embed_dims', f'{prefix}.backbone.num_layers', f'{prefix}.backbone.init_cfg',
              f'{prefix}.decode_head.in_channels']
    assert without(b1, widths) == without(b0, widths)


def test_city_b0_settings_and_what_each_variant_changes(tiny_pool):
    """The default: OS16 teacher, DKD-style PDD (α = β = 0.5, T = 1), CE weight 0, the official loader and its batch
    (issue 25). Each variant config changes only its documented keys (so the B0 config's tiny builds and Runner run
    cover the rest)."""
    cfg = parsed(CITY_B0)
    assert cfg.model.teacher.config == OS16 and cfg.model.teacher.checkpoint == TEACHER_CKPT[OS16]
    pdd = expanded(cfg.model).distill_losses.loss_pdd
    assert (pdd.mode, pdd.alpha, pdd.beta, pdd.tau) == ('dkd', 0.5, 0.5, 1.0)
    # 6 images per GPU (× 4 GPUs): the Gram term pools 6 as in the code; flip, long side 2048 · [0.5, 1.75], 512² crop
    assert cfg.train_dataloader.batch_size == 6 and [t.type for t in cfg.train_dataloader.dataset.pipeline] == OFFICIAL
    resize, crop = cfg.train_dataloader.dataset.pipeline[3], cfg.train_dataloader.dataset.pipeline[4]
    assert (resize.scale, resize.ratio_range, resize.keep_ratio, crop.crop_size, crop.cat_max_ratio) == (
        (2048, 1024), (0.5, 1.75), True, (512, 512), 1.0)
    check_official_pipeline(cfg.train_dataloader.dataset.pipeline)
    for name, paths in VARIANTS.items():
        assert without(parsed(C2VKD / name), paths) == without(cfg, paths), name
    d8 = parsed(C2VKD / 'deeplabv3plus-r101-d8_segformer-b0_city.py').model.teacher
    assert d8.config == OS8 and d8.checkpoint == TEACHER_CKPT[OS8]
    assert parsed(C2VKD / 'deeplabv3plus-r101_segformer-b0_city_paper-binary.py').model.distill_losses.loss_pdd.mode \
        == 'paper_binary'
    mmseg_data = parsed(C2VKD / 'deeplabv3plus-r101_segformer-b0_city_mmseg-data.py').train_dataloader
    # the named variant: mmseg's augmentation (ratio 0.5-2.0, class-ratio crop, photometric distortion), 8 × 3
    assert mmseg_data.batch_size == 3 and [t.type for t in mmseg_data.dataset.pipeline] == [
        'LoadImageFromFile', 'LoadAnnotations', 'RandomResize', 'RandomCrop', 'RandomFlip', 'PhotoMetricDistortion',
        'PackSegInputs']
    assert mmseg_data.dataset.pipeline[2].ratio_range == (0.5, 2.0)
    for name in ('deeplabv3plus-r101_segformer-b1_city.py', 'deeplabv3plus-r101_segformer-b1_city_mmseg-data.py'):
        assert_b1_is_b0_with_b1_widths(parsed(C2VKD / name), parsed(C2VKD / name.replace('-b1_', '-b0_')))


def check_official_pipeline(pipeline):
    """Runs the official pipeline in mmseg on a Cityscapes-sized frame: 512² out, no padding, no colour change."""
    import tempfile

    import cv2
    import numpy as np
    from mmcv.transforms import Compose
    with tempfile.TemporaryDirectory() as tmp:
        img, seg = osp.join(tmp, 'img.png'), osp.join(tmp, 'seg.png')
        cv2.imwrite(img, np.full((1024, 2048, 3), 90, np.uint8))
        cv2.imwrite(seg, np.full((1024, 2048), 7, np.uint8))
        compose = Compose([dict(t) for t in pipeline])
        for _ in range(2):
            out = compose(dict(img_path=img, seg_map_path=seg, reduce_zero_label=False, seg_fields=[]))
            assert out['inputs'].shape == (3, 512, 512) and out['data_samples'].gt_sem_seg.data.shape == (1, 512, 512)
            assert (out['inputs'] == 90).all() and (out['data_samples'].gt_sem_seg.data == 7).all()


@pytest.mark.parametrize('name', ['deeplabv3plus-r101_segformer-b0_city_paper-binary.py',
                                  'deeplabv3plus-r101_segformer-b0_city_pool-both.py'])
def test_variants_with_other_distillation_blocks_train_one_step_on_tiny_models(name, tiny_pool):
    pool_both = name.endswith('pool-both.py')
    model_cfg = tiny_model_cfg(tiny_pool, C2VKD / name, **TINY_OS16)
    if pool_both:
        assert model_cfg.connectors.ling_s.inputs == ['C.vis_s'] and not model_cfg.connectors.ling_s.detach_input
        model_cfg.connectors.ling_s.update(attnpool_ckpt=tiny_pool, num_heads=4, output_dim=16)
    model, losses = one_step(model_cfg)
    assert model.distill_losses.loss_pdd.mode == ('dkd' if pool_both else 'paper_binary')
    kd = {k: v for k, v in losses.items() if k in model.distill_losses}
    assert set(kd) == {'loss_pdd', 'loss_glob', 'loss_patch', 'loss_ling'}
    assert all(torch.isfinite(v) and v > 0 for v in kd.values())
    kd['loss_ling'].backward(retain_graph=True)
    vis_grad = model.connectors.vis_s.conv.weight.grad
    if pool_both:  # g_s = pool(F_s'): the linguistic term trains the visual adapter, through the frozen pool
        assert isinstance(model.connectors.ling_s, CLIPAttentionPool2d)
        assert vis_grad is not None and vis_grad.abs().sum() > 0
        assert {k for k in model.state_dict() if k.startswith('connectors.')} == {'connectors.vis_s.conv.weight'}
    else:
        assert vis_grad is None and model.connectors.ling_s.proj.weight.grad.abs().sum() > 0
    sum(kd.values()).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.student.backbone.layers[-1][0].projection.weight.grad.abs().sum() > 0


PAIR = {'b0': (32, 256), 'b1': (64, 512)}


@pytest.mark.parametrize('student', sorted(PAIR))
def test_baselines_on_the_cnn_vit_pair_share_c2vkds_recipe_and_train_one_step(student):
    """KD, CWD and DIST on DeepLabV3+ R101-D16 -> MiT-B0/B1 differ from C2VKD and from the student trained alone only
    in their distillation terms (same student, teacher, data, batch and schedule; the student's CE stays in)."""
    c2vkd = parsed(C2VKD / f'deeplabv3plus-r101_segformer-{student}_city.py')
    alone = parsed(REPO / f'configs/baselines/segformer_mit-{student}_8xb3-50k_cityscapes-512x512.py')
    assert alone.model.type == 'EncoderDecoder' and 'custom_imports' not in alone  # a plain mmseg config
    assert (alone.model.backbone.embed_dims, alone.model.decode_head.in_channels[-1]) == PAIR[student]
    assert alone.model.decode_head.loss_decode.loss_weight == 1.0
    c2vkd_student = copy.deepcopy(c2vkd.model.student)
    c2vkd_student.decode_head.loss_decode.loss_weight = 1.0  # C2VKD's only student difference: CE weight 0
    assert c2vkd_student.to_dict() == alone.model.to_dict()
    recipe = ('train_dataloader', 'val_dataloader', 'val_evaluator', 'optim_wrapper', 'param_scheduler', 'train_cfg')
    for key in recipe:  # the same 24 images per step: C2VKD as 4 GPUs x 6 (the Gram term's per-GPU batch), alone 8 x 3
        assert without(c2vkd, ['train_dataloader.batch_size'])[key] == without(alone, ['train_dataloader.batch_size'])[
            key], key
    assert (c2vkd.train_dataloader.batch_size, alone.train_dataloader.batch_size) == (6, 3)
    assert [t.type for t in alone.train_dataloader.dataset.pipeline] == OFFICIAL  # the official loader (issue 25)
    if student == 'b1':
        assert_b1_is_b0_with_b1_widths(alone, parsed(REPO / 'configs/baselines/segformer_mit-b0_8xb3-50k_'
                                                           'cityscapes-512x512.py'))
    for method in ('kd', 'cwd', 'dist'):
        cfg = parsed(REPO / f'configs/baselines/{method}_deeplabv3plus-r101_segformer-{student}_city.py')
        assert cfg.custom_imports.imports == ['mmseg_transkd'] and cfg.model.type == 'DistillSegmentor'
        assert cfg.model.student.to_dict() == alone.model.to_dict() and cfg.model.teacher == c2vkd.model.teacher
        assert all(cfg[key] == alone[key] for key in recipe), method  # the student alone's data and batch
        assert set(expanded(cfg.model).distill_losses) == {f'loss_{method}'}
        if student == 'b1':  # its tiny build is the B0 config's
            assert_b1_is_b0_with_b1_widths(cfg, parsed(REPO / f'configs/baselines/{method}_deeplabv3plus-r101_'
                                                                f'segformer-b0_city.py'))
            continue
        model_cfg = expanded(cfg.model)
        shrink_mit(model_cfg.student, STUDENT_DIMS, STUDENT_DEPTHS, 16)
        model_cfg['teacher'] = dict(config=tiny_deeplabv3plus(model_cfg.student.data_preprocessor, **TINY_OS16),
                                    checkpoint='', load_checkpoint=False)
        model, losses = one_step(model_cfg)
        term = losses[f'loss_{method}']
        assert torch.isfinite(term) and term > 0 and losses['decode.loss_ce'] > 0
        (term + losses['decode.loss_ce']).backward()
        assert all(p.grad is None for p in model.teacher.parameters())
        assert model._teacher_runs[None].heads == ['decode_head']  # the logit terms read the teacher's DeepLabV3+ logits
        assert model.student.backbone.layers[-1][0].projection.weight.grad.abs().sum() > 0


def test_extract_tool_reads_torchscript_and_state_dicts(tmp_path, capsys, monkeypatch):
    spec = importlib.util.spec_from_file_location('extract_clip_attnpool', REPO / 'tools/extract_clip_attnpool.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    class AttnPool(nn.Module):
        def __init__(self):
            super().__init__()
            self.positional_embedding = nn.Parameter(torch.randn(10, 8))
            self.k_proj, self.q_proj, self.v_proj, self.c_proj = (nn.Linear(8, 8), nn.Linear(8, 8), nn.Linear(8, 8),
                                                                  nn.Linear(8, 4))

        def forward(self, x):
            return self.c_proj(self.q_proj(x) + self.k_proj(x) + self.v_proj(x))

    class Visual(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.attnpool = nn.Conv2d(3, 8, 1), AttnPool()

        def forward(self, x):
            return self.attnpool(self.conv1(x).mean(dim=(2, 3)))

    class Clip(nn.Module):
        def __init__(self):
            super().__init__()
            self.visual = Visual().half()  # OpenAI's files are fp16 TorchScript archives

        def forward(self, x):
            return self.visual(x)

    clip = Clip()
    torch.jit.save(torch.jit.script(clip), str(tmp_path / 'RN.pt'))
    out = str(tmp_path / 'out' / 'pool.pth')
    monkeypatch.setattr('sys.argv', ['extract', str(tmp_path / 'RN.pt'), out])
    tool.main()
    printed = capsys.readouterr().out
    assert 'attention pool 8 -> 4, positional grid 3x3 (+1)' in printed and 'not CLIP RN101 sizes' in printed
    pool = CLIPAttentionPool2d(out, embed_dim=8, num_heads=2, output_dim=4, pool_size=3)
    torch.testing.assert_close(pool.q_proj_weight, clip.visual.attnpool.q_proj.weight.float())
    assert pool.q_proj_weight.dtype == torch.float32 and not osp.exists(out + '.part')
    # the TorchScript archive itself is refused by the connector, with the way out
    with pytest.raises(AttnPoolCheckpointError, match='extract_clip_attnpool'):
        CLIPAttentionPool2d(str(tmp_path / 'RN.pt'), embed_dim=8, num_heads=2, output_dim=4)
    # an ordinary state dict works too; a file without a pool is refused and nothing is written
    torch.save(clip.state_dict(), tmp_path / 'sd.pth')
    assert tool.extract(str(tmp_path / 'sd.pth'), str(tmp_path / 'b.pth'))['embed_dim'] == 8
    torch.save({'visual.conv1.weight': torch.zeros(1)}, tmp_path / 'none.pth')
    with pytest.raises(ValueError, match='has no CLIP attention pool'):
        tool.extract(str(tmp_path / 'none.pth'), str(tmp_path / 'c.pth'))
    assert not osp.exists(tmp_path / 'c.pth')


# ---------------------------------------------------------------------------------------------------- Runner
def test_runner_smoke_tiny_deeplabv3plus_to_mit(city_root, tmp_path):
    pool_ckpt = write_attnpool_checkpoint(str(tmp_path / 'pool.pth'), embed_dim=64, output_dim=16)
    base = parsed(CITY_B0)
    teacher = tiny_deeplabv3plus(base.model.student.data_preprocessor, **TINY_OS16)  # OS16, as the default teacher
    teacher['data_preprocessor']['size'] = (64, 64)
    cfg = tiny_cfg(None, city_root, str(tmp_path / 'work'), max_iters=2, val_interval=2, config=CITY_B0,
                   teacher=teacher)
    cfg.merge_from_dict({'model.connectors.ling_t': dict(attnpool_ckpt=pool_ckpt, num_heads=4, output_dim=16)})
    runner = Runner.from_cfg(cfg)
    model = runner.model
    teacher_before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    pool_before = [b.clone() for b in model.connectors.ling_t.buffers()]
    vis_before = model.connectors.vis_s.conv.weight.detach().clone()
    runner.train()
    scalars = runner.message_hub.log_scalars
    for key in ('loss_pdd', 'loss_glob', 'loss_patch', 'loss_ling', 'decode.loss_ce'):
        assert f'train/{key}' in scalars and math.isfinite(scalars[f'train/{key}'].current())
    assert scalars['train/decode.loss_ce'].current() == 0.0  # paper setting: CE weight 0, labels through PDD only
    assert scalars['train/loss_pdd'].current() > 0 and 'val/mIoU' in scalars
    assert all(torch.equal(v, teacher_before[k]) for k, v in model.teacher.state_dict().items())
    assert all(torch.equal(a, b) for a, b in zip(model.connectors.ling_t.buffers(), pool_before))
    assert not any(m.training for m in model.teacher.modules()) and not model.connectors.ling_t.training
    assert not torch.equal(model.connectors.vis_s.conv.weight, vis_before)
    saved = torch.load(osp.join(cfg.work_dir, 'iter_2.pth'), map_location='cpu', weights_only=False)['state_dict']
    assert not any(k.startswith(('teacher.', 'connectors.ling_t')) for k in saved)
    assert 'connectors.vis_s.conv.weight' in saved and 'connectors.ling_s.proj.weight' in saved
