"""SplitOptimWrapperConstructor / SplitOptimizer: named modules stepped by their own optimizer inside one MMEngine
optim wrapper (issue 25, item 2: the adversarial critic's own Adam), checked by hand on a toy model."""
import copy

import pytest
import torch
import torch.nn as nn
from mmengine.optim import PolyLR, build_optim_wrapper

from mmseg_transkd.engine import SplitOptimizer

CRITIC_ADAM = dict(type='Adam', lr=0.01, betas=(0.9, 0.99), weight_decay=0.0)


def toy() -> nn.Module:
    torch.manual_seed(0)
    model = nn.Module()
    model.student = nn.Linear(3, 2)
    model.losses = nn.Module()
    model.losses.critic = nn.Linear(2, 1)
    return model


def split_cfg(**kwargs) -> dict:
    cfg = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=0.0, weight_decay=0.0),
               constructor='SplitOptimWrapperConstructor',
               split=dict(critic=dict(modules=['losses.critic'], optimizer=CRITIC_ADAM)))
    cfg.update(kwargs)
    return cfg


def step(model: nn.Module, wrapper) -> torch.Tensor:
    """One update on a loss with separate student and critic parts; returns the loss."""
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    loss = model.student(x).pow(2).mean() + model.losses.critic(x[:, :2]).sum()
    wrapper.update_params(loss)
    return loss


def test_each_optimizer_steps_its_own_parameters_by_its_own_rule():
    model = toy()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    wrapper = build_optim_wrapper(model, split_cfg())
    assert isinstance(wrapper.optimizer, SplitOptimizer)
    opts = wrapper.optimizer.optimizers
    assert list(opts) == ['main', 'critic']
    owned = {name: {id(p) for g in opt.param_groups for p in g['params']} for name, opt in opts.items()}
    assert owned['critic'] == {id(p) for p in model.losses.critic.parameters()}
    assert owned['main'] == {id(p) for p in model.student.parameters()}
    assert wrapper.param_groups[:2] == opts['main'].param_groups + opts['critic'].param_groups

    grads = {}
    hook = wrapper.optimizer.register_step_pre_hook(
        lambda opt, args, kwargs: grads.update({n: p.grad.clone() for n, p in model.named_parameters()}))
    step(model, wrapper)
    hook.remove()
    for name, p in model.named_parameters():
        g = grads[name]
        if name.startswith('student.'):  # plain SGD: w - lr * g
            expected = before[name] - 0.1 * g
        else:  # Adam's first step: m_hat = g, v_hat = g^2, so w - lr * g / (|g| + eps)
            expected = before[name] - 0.01 * g / (g.abs() + 1e-8)
        torch.testing.assert_close(p.detach(), expected, rtol=1e-6, atol=1e-7)
        assert p.grad is None  # zeroed for the next step
    assert opts['critic'].state and not opts['main'].state  # Adam's moments; SGD without momentum keeps none


def test_paramwise_cfg_schedulers_and_state_dict_round_trip():
    model = toy()
    cfg = split_cfg(paramwise_cfg=dict(custom_keys={'student': dict(lr_mult=2.0)}))
    wrapper = build_optim_wrapper(model, cfg)
    opts = wrapper.optimizer.optimizers
    assert [g['lr'] for g in opts['main'].param_groups] == [0.2, 0.2]  # the main optimizer's paramwise_cfg
    assert [g['lr'] for g in opts['critic'].param_groups] == [0.01]  # not the critic's
    # a poly schedule over the wrapper decays every optimizer's groups by the same factor
    sched = PolyLR(wrapper, eta_min=0.0, power=1.0, begin=0, end=4, by_epoch=False)
    step(model, wrapper)
    sched.step()
    factor = opts['main'].param_groups[0]['lr'] / 0.2
    assert factor < 1 and [g['lr'] for g in opts['critic'].param_groups] == pytest.approx([0.01 * factor])
    assert wrapper.get_lr()['lr'] == pytest.approx([0.2 * factor] * 2 + [0.01 * factor])

    state = copy.deepcopy(wrapper.state_dict())
    assert set(state['optimizers']) == {'main', 'critic'} and state['optimizers']['critic']['state']
    other = build_optim_wrapper(model, cfg)
    other.load_state_dict(copy.deepcopy(state))
    torch.testing.assert_close(other.optimizer.state_dict(), wrapper.optimizer.state_dict(), rtol=0, atol=0)
    assert [g['lr'] for g in other.param_groups] == [g['lr'] for g in wrapper.param_groups]
    # the loaded groups are the ones the optimizers step with (torch replaces the group dicts on loading)
    stepped = [g for o in other.optimizer.optimizers.values() for g in o.param_groups]
    assert len(stepped) == 3 and all(a is b for a, b in zip(other.optimizer.param_groups, stepped, strict=True))
    single = build_optim_wrapper(model, dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)))
    with pytest.raises(ValueError, match="the checkpoint holds the optimizer state of one optimizer, this run has "
                                         r"\['critic', 'main'\]"):
        other.load_state_dict(single.state_dict())


@pytest.mark.parametrize('split,match', [
    (dict(critic=dict(modules=['losses.nothing'], optimizer=CRITIC_ADAM)), '"losses.nothing" is not a module'),
    (dict(critic=dict(modules=['losses'], optimizer=CRITIC_ADAM),
          again=dict(modules=['losses.critic'], optimizer=CRITIC_ADAM)), 'shares parameters with split'),
    (dict(critic=dict(modules=['losses.critic'])), r'split.critic: set modules=\[<module path>, ...\] and optimizer'),
    (dict(main=dict(modules=['losses.critic'], optimizer=CRITIC_ADAM)), "a name other than 'main'"),
])
def test_clear_errors_name_the_config_key(split, match):
    with pytest.raises(ValueError, match=match):
        build_optim_wrapper(toy(), split_cfg(split=split))


def test_the_wrapper_type_is_the_configs_own():
    """``tools/train.py --amp`` swaps ``optim_wrapper.type`` (AutocastOptimWrapper on the CPU); the split stays."""
    from mmseg_transkd.engine import AutocastOptimWrapper
    model = toy()
    wrapper = build_optim_wrapper(model, split_cfg(type='AutocastOptimWrapper', dtype='bfloat16'))
    assert isinstance(wrapper, AutocastOptimWrapper) and isinstance(wrapper.optimizer, SplitOptimizer)
    before = model.losses.critic.weight.detach().clone()
    with wrapper.optim_context(model):
        loss = step(model, wrapper)
    assert loss.dtype == torch.bfloat16 and not torch.equal(before, model.losses.critic.weight)
