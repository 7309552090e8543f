"""Connector shapes and parameter counts for MiT-B2 -> MiT-B0 against the spec (transkd.md §1, §6)."""
import pytest
import torch

from mmseg_transkd.models.connectors import CSF, PEA, EmbeddingAssistant, GLMixer
from hand import n_params

B0 = [32, 64, 160, 256]
B2 = [64, 128, 320, 512]
B0_HEADS = [1, 2, 5, 8]
# Token grids at 512x1024: strides 4, 8, 16, 32.
GRIDS = [(128, 256), (64, 128), (32, 64), (16, 32)]


def test_csf_shapes_and_params():
    csf = CSF(B0, B2, mid_channels=64)
    feats = [torch.randn(2, c, h, w) for c, (h, w) in zip(B0, GRIDS)]
    with torch.no_grad():
        outs = csf(feats)
    assert [tuple(o.shape) for o in outs] == [(2, 64, 128, 256), (2, 128, 64, 128), (2, 320, 32, 64),
                                               (2, 512, 16, 32)]
    # Spec §1.1: stages 47,552 / 86,592 / 203,712 / 312,448 (650,304). Each fusing unit there also carries the
    # batch-size-1 bottleneck fc1 (64*32 = 2,048 weights), which we drop (one batch-independent path), so the
    # three fusing units are 2,048 smaller: 644,160 in total.
    assert [n_params(u) for u in csf.units] == [47_552 - 2_048, 86_592 - 2_048, 203_712 - 2_048, 312_448]
    assert n_params(csf) == 650_304 - 3 * 2_048 == 644_160
    assert [u.fuse for u in csf.units] == [True, True, True, False]


def test_csf_fusion_is_batch_independent():
    """One selection path for every batch size: B=1 trains, and eval outputs do not depend on the batch."""
    torch.manual_seed(0)
    csf = CSF(B0[:2], B2[:2])
    feats = [torch.randn(2, 32, 16, 16), torch.randn(2, 64, 8, 8)]
    csf.train()
    out = csf([f[:1] for f in feats])  # per-GPU batch 1 under DDP
    sum(o.sum() for o in out).backward()
    assert csf.units[0].fc.conv.weight.grad is not None and csf.units[0].fc.conv.weight.grad.abs().sum() > 0
    csf.eval()
    with torch.no_grad():
        batched = csf(feats)
        single = csf([f[1:] for f in feats])
    for b, s in zip(batched, single):
        torch.testing.assert_close(b[1:], s)


def test_csf_init_is_deterministic_kaiming_uniform():
    torch.manual_seed(0)
    a = CSF(B0, B2)
    torch.manual_seed(0)
    b = CSF(B0, B2)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    w = a.units[3].conv1.conv.weight  # kaiming_uniform(a=1): bound = sqrt(6 / ((1 + 1) * fan_in)) = sqrt(3 / 256)
    assert w.abs().max() <= (3 / 256) ** 0.5


def test_csf_stage_mismatch_names_both_sides():
    with pytest.raises(ValueError, match=r'student has 4 stages.*teacher has 3'):
        CSF(B0, B2[:3])


def test_pea_shapes_and_params():
    pea = PEA(B0, B2)
    embeds = [torch.randn(2, h * w, c) for c, (h, w) in zip(B0, GRIDS)]
    outs = pea(embeds)
    assert [tuple(o.shape) for o in outs] == [(2, 32768, 64), (2, 8192, 128), (2, 2048, 320), (2, 512, 512)]
    assert [n_params(p) for p in pea.projs] == [2_112, 8_320, 51_520, 131_584]
    assert n_params(pea) == 193_536


def test_gl_mixer_shapes_params_and_init():
    gl = GLMixer(B0, num_heads=B0_HEADS)
    assert gl.num_heads == 8
    # Spec §1.3: attention 262,400 + two conv1d 393,728 + alpha, beta = 656,130.
    assert n_params(gl) == 656_130
    assert gl.alpha.item() == 1.0 and gl.beta.item() == 1.0
    embeds = [torch.randn(2, h * w, c) for c, (h, w) in zip(B0, GRIDS)]
    outs = gl(embeds)
    assert outs[3].shape == (2, 512, 256)
    for i in range(3):
        assert outs[i] is embeds[i]
    # The mix is alpha * attention + beta * gated conv (no identity by default).
    with torch.no_grad():
        expected = gl.attention(embeds[3]) + gl.local(embeds[3])
    torch.testing.assert_close(outs[3].detach(), expected)


def test_gl_attention_matches_explicit_softmax():
    torch.manual_seed(0)
    gl = GLMixer([16], num_heads=[2])
    x = torch.randn(2, 5, 16)
    q, k, v = gl.qkv(x).reshape(2, 5, 3, 2, 8).permute(2, 0, 3, 1, 4)
    attn = (q @ k.transpose(-2, -1) * 8 ** -0.5).softmax(-1)
    expected = gl.proj((attn @ v).transpose(1, 2).reshape(2, 5, 16))
    torch.testing.assert_close(gl.attention(x), expected)


def test_embedding_assistant_shapes_params_and_weights():
    ea = EmbeddingAssistant([3, 32, 64, 160], B2)
    # Spec §1.4: 9,600 + 37,248 + 185,280 + 738,816 + 8 fuse weights = 970,952.
    assert [n_params(e) for e in ea.embeds] == [9_600, 37_248, 185_280, 738_816]
    assert n_params(ea) == 970_952
    torch.testing.assert_close(ea.fuse_weights.detach(), torch.tensor([[.1, .2, .3, .4], [.5, .6, .7, .8]]))
    h, w = 64, 128  # a smaller image keeps the test fast; the geometry is the same
    stage_inputs = [torch.randn(1, 3, h, w)] + [torch.randn(1, c, h // s, w // s)
                                               for c, s in zip([32, 64, 160], [4, 8, 16])]
    aligned = [torch.randn(1, (h // s) * (w // s), c) for c, s in zip(B2, [4, 8, 16, 32])]
    outs = ea(aligned, stage_inputs)
    assert [tuple(o.shape) for o in outs] == [tuple(a.shape) for a in aligned]
    with torch.no_grad():
        expected = 0.4 * aligned[3] + 0.8 * ea.embeds[3](stage_inputs[3])
    torch.testing.assert_close(outs[3].detach(), expected)
