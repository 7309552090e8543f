"""Each distillation loss against a hand computation on small tensors."""
import math

import pytest
import torch

from mmseg_transkd.models.losses import ChannelWiseDivergence, HCLoss, StageMSELoss


def test_hcl_hand_computed():
    # f_s = k/16 for k = 0..15 on a 4x4 grid, f_t = 0. Level 4 is skipped (4 >= h = 4); levels 2 and 1 get 1/2, 1/4.
    f_s = (torch.arange(16.) / 16).view(1, 1, 4, 4)
    f_t = torch.zeros(1, 1, 4, 4)
    full = sum(k * k for k in range(16)) / 256 / 16           # mean((k/16)^2) = 1240/4096
    quads = [(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4, (8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]
    pooled2 = sum((q / 16) ** 2 for q in quads) / 4             # 2x2 average pooling
    pooled1 = (7.5 / 16) ** 2                                   # global average
    expected = (full + 0.5 * pooled2 + 0.25 * pooled1) / (1 + 0.5 + 0.25)
    assert HCLoss()(f_s, f_t).item() == pytest.approx(expected, rel=1e-6)
    assert HCLoss(loss_weight=3.0)([f_s, f_s], [f_t, f_t]).item() == pytest.approx(6 * expected, rel=1e-6)


def test_hcl_all_levels_at_large_maps():
    # With h >= 16 all three levels count: weights 1, 1/2, 1/4, 1/8 and denominator 1.875. A constant difference c
    # gives MSE c^2 at every level, so the loss is c^2 exactly.
    s, t = torch.full((2, 3, 16, 32), 3.0), torch.full((2, 3, 16, 32), 1.0)
    assert HCLoss()(s, t).item() == pytest.approx(4.0)
    # Different values per level: only the full-resolution term sees a zero-mean checkerboard.
    board = (torch.arange(16).view(-1, 1) + torch.arange(32)).remainder(2).float().mul(2).sub(1).expand(1, 1, 16, 32)
    assert HCLoss()(board, torch.zeros_like(board)).item() == pytest.approx(1.0 / 1.875)


def test_hcl_teacher_gets_no_gradient():
    s = torch.randn(1, 2, 8, 8, requires_grad=True)
    t = torch.randn(1, 2, 8, 8, requires_grad=True)
    HCLoss()(s, t).backward()
    assert s.grad is not None and t.grad is None


def test_stage_mse_hand_computed():
    s = [torch.ones(1, 2, 3), torch.full((2, 4, 5), 2.0)]
    t = [torch.zeros(1, 2, 3), torch.zeros(2, 4, 5)]
    # 0.1 * 1 + 0.5 * 4 = 2.1, times loss_weight 2
    assert StageMSELoss(stage_weights=(0.1, 0.5), loss_weight=2.0)(s, t).item() == pytest.approx(4.2)
    assert StageMSELoss()(s, t).item() == pytest.approx(5.0)
    with pytest.raises(ValueError, match='stage_weights has 1 entries but 2 stages'):
        StageMSELoss(stage_weights=(1.0,))(s, t)
    with pytest.raises(ValueError, match=r'stage 2 of the student is \(2, 4, 5\) but the teacher is \(2, 4, 6\)'):
        StageMSELoss()(s, [t[0], torch.zeros(2, 4, 6)])


def _kl(p, q):
    return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))


def _softmax(xs):
    z = sum(math.exp(x) for x in xs)
    return [math.exp(x) / z for x in xs]


@pytest.mark.parametrize('tau', [1.0, 2.0])
def test_cwd_channel_hand_computed(tau):
    # Two channels over two positions, batch 1: the loss is T^2 * (KL_ch0 + KL_ch1) / (n * c) with n*c = 2.
    s = torch.tensor([[[[0.0, 0.0]], [[1.0, -1.0]]]])
    t = torch.tensor([[[[math.log(3), 0.0]], [[0.0, 2.0]]]])
    kls = [_kl(_softmax([v / tau for v in t[0, c, 0].tolist()]), _softmax([v / tau for v in s[0, c, 0].tolist()]))
           for c in range(2)]
    expected = tau ** 2 * sum(kls) / 2
    assert ChannelWiseDivergence(tau=tau)(s, t).item() == pytest.approx(expected, rel=1e-5)
    assert ChannelWiseDivergence(tau=tau, loss_weight=0.5)([s, s], [t, t]).item() == pytest.approx(expected, rel=1e-5)


def test_cwd_spatial_hand_computed():
    # Softmax over the 2 channels at each of the 2 positions; divided by n*h*w = 2.
    s = torch.tensor([[[[0.0, 1.0]], [[0.0, -1.0]]]])
    t = torch.tensor([[[[1.0, 0.0]], [[0.0, 0.0]]]])
    kls = [_kl(_softmax(t[0, :, 0, j].tolist()), _softmax(s[0, :, 0, j].tolist())) for j in range(2)]
    assert ChannelWiseDivergence(norm='spatial')(s, t).item() == pytest.approx(sum(kls) / 2, rel=1e-5)
    assert ChannelWiseDivergence()(t, t).item() == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize('tau', [1.0, 3.0])
def test_cwd_mse_divergence_hand_computed(tau):
    # The release's CriterionCWD(divergence='mse'): squared differences of the normalised maps, summed, divided by the
    # norm's count, times T^2 (the release forces T = 1 with 'mse'; here tau applies, tau = 1 is the release).
    s = torch.tensor([[[[0.0, 2.0]], [[1.0, -1.0]]], [[[0.5, 0.0]], [[3.0, 1.0]]]])  # n=2, c=2, h=1, w=2
    t = torch.tensor([[[[1.0, 0.0]], [[0.0, 2.0]]], [[[-1.0, 1.0]], [[2.0, 2.0]]]])

    def sq(p, q):
        return sum((a - b) ** 2 for a, b in zip(p, q))
    # channel: each channel a distribution over its 2 positions; count n*c = 4
    ch = sum(sq(_softmax([v / tau for v in s[b, c, 0].tolist()]), _softmax([v / tau for v in t[b, c, 0].tolist()]))
             for b in range(2) for c in range(2))
    assert ChannelWiseDivergence(tau=tau, divergence='mse')(s, t).item() == pytest.approx(
        tau ** 2 * ch / 4, rel=1e-5)
    # spatial: each position a distribution over the 2 channels; count n*h*w = 4
    sp = sum(sq(_softmax([v / tau for v in s[b, :, 0, j].tolist()]),
                _softmax([v / tau for v in t[b, :, 0, j].tolist()])) for b in range(2) for j in range(2))
    assert ChannelWiseDivergence(tau=tau, norm='spatial', divergence='mse')(s, t).item() == pytest.approx(
        tau ** 2 * sp / 4, rel=1e-5)
    # channel_mean: each channel its spatial mean of x / T; count n*c = 4; weight 0.5 on two identical stages
    cm = sum((sum(s[b, c, 0].tolist()) / 2 / tau - sum(t[b, c, 0].tolist()) / 2 / tau) ** 2
             for b in range(2) for c in range(2))
    loss = ChannelWiseDivergence(tau=tau, norm='channel_mean', divergence='mse', loss_weight=0.5)
    assert loss([s, s], [t, t]).item() == pytest.approx(tau ** 2 * cm / 4, rel=1e-5)


def test_cwd_refuses_unknown_options_and_kl_of_channel_means():
    with pytest.raises(ValueError, match="use divergence='mse' with it"):
        ChannelWiseDivergence(norm='channel_mean')
    with pytest.raises(ValueError, match='divergence must be one of'):
        ChannelWiseDivergence(divergence='js')
    with pytest.raises(ValueError, match='norm must be one of'):
        ChannelWiseDivergence(norm='none')


def test_one_int_takes_a_count_from_channels_from_and_refuses_several():
    from mmseg_transkd.models.losses.utils import one_int
    assert one_int(19, 'x') == 19 and one_int([2048], 'x') == 2048 and one_int((512, ), 'x') == 512
    with pytest.raises(ValueError, match=r'LogitProjector: num_classes must be one count, got \[32, 64\]'):
        one_int([32, 64], 'LogitProjector: num_classes')
