"""Several optimizers in one MMEngine optim wrapper: named modules of the model get their own optimizer.

Used by the adversarial baselines (``configs/baselines/*-adv_*``), whose critic trains with its own Adam while the
student keeps its SGD / AdamW, as in the IFVD and CIRKD releases (issue 25, item 2).
"""
import copy
from typing import Dict, Optional

import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS
from torch.optim import Optimizer

MAIN = 'main'


class SplitOptimizer(Optimizer):
    """Torch optimizers over disjoint parameter sets, stepped, zeroed, saved and loaded as one optimizer.

    ``param_groups`` lists the groups of every optimizer (the same dict objects, main optimizer first), so MMEngine's
    parameter schedulers, learning-rate logging, gradient clipping and loss scaling act on all of them; ``defaults``
    are the main optimizer's (MMEngine's ``base_lr`` log). The state dict holds one state dict per optimizer, by name.

    Args:
        optimizers (dict[str, Optimizer]): Name -> optimizer; the first is the main one.
    """

    def __init__(self, optimizers: Dict[str, Optimizer]) -> None:
        self.optimizers = dict(optimizers)
        # the sub-optimizers' own group dicts: a learning rate set here is the one they step with
        super().__init__([g for opt in self.optimizers.values() for g in opt.param_groups], defaults={})
        self.defaults = next(iter(self.optimizers.values())).defaults

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for opt in self.optimizers.values():
            opt.step()
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        for opt in self.optimizers.values():
            opt.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict:
        return dict(optimizers={name: opt.state_dict() for name, opt in self.optimizers.items()})

    def load_state_dict(self, state_dict: dict) -> None:
        saved = state_dict.get('optimizers')
        if not isinstance(saved, dict) or set(saved) != set(self.optimizers):
            got = sorted(saved) if isinstance(saved, dict) else 'one optimizer'
            raise ValueError(f'optim_wrapper: the checkpoint holds the optimizer state of {got}, this run has '
                             f'{sorted(self.optimizers)} (optim_wrapper.split); resume with the optim_wrapper the '
                             'checkpoint was trained with.')
        for name, opt in self.optimizers.items():
            opt.load_state_dict(saved[name])
        # torch's load_state_dict replaces each optimizer's group dicts: list the new ones
        self.param_groups = [g for opt in self.optimizers.values() for g in opt.param_groups]


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SplitOptimWrapperConstructor:
    """Builds the usual optim wrapper, with named modules split off to optimizers of their own.

    The config is MMEngine's ``optim_wrapper`` (``type``, ``optimizer``, ``paramwise_cfg``, ``clip_grad``, ...) plus
    ``split``: name -> ``dict(modules=[<module path in the model>, ...], optimizer=dict(type=..., ...))``. The
    parameters of the listed modules go to that optimizer (one parameter group); every other parameter stays with
    ``optimizer``, built by MMEngine's ``DefaultOptimWrapperConstructor`` with ``paramwise_cfg``. E.g. a critic with
    its own Adam::

        optim_wrapper = dict(
            type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
            constructor='SplitOptimWrapperConstructor',
            split=dict(discriminator=dict(modules=['distill_losses.loss_adv.discriminator'],
                                          optimizer=dict(type='Adam', lr=4e-4, betas=(0.9, 0.99)))))

    The result is one ``OptimWrapper`` (of ``type``, e.g. ``AmpOptimWrapper`` under ``--amp``) around a
    :class:`SplitOptimizer`: one backward of the total loss, then every optimizer steps its own parameters with its
    own state. So the model's ``train_step``, DDP (one backward, gradients all-reduced as usual; MMEngine's DDP
    wrapper runs its own ``train_step``, which an ``OptimWrapperDict`` would not pass), mixed precision (one loss
    scale), the schedulers (they scale every group's lr: a poly schedule decays the split-off optimizers too) and
    checkpoints (``--resume`` restores every optimizer's state) work unchanged. A module whose parameters must
    follow another objective routes its gradients itself: ``HolisticAdversarialLoss``'s student term reaches the
    student only, its critic term the critic only. Gradient clipping (``clip_grad``) sees all parameters together.

    Args:
        optim_wrapper_cfg (dict): As above.
        paramwise_cfg (dict, optional): For the main optimizer, as MMEngine's.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        cfg = copy.deepcopy(dict(optim_wrapper_cfg))
        self.split = cfg.pop('split', None) or {}
        if not isinstance(self.split, dict):
            raise TypeError(f'optim_wrapper.split must be a dict name -> dict(modules=[...], optimizer=dict(...)), '
                            f'got {type(self.split).__name__}')
        for name, part in self.split.items():
            if name == MAIN or not isinstance(part, dict) or not part.get('modules') or not part.get('optimizer'):
                raise ValueError(f'optim_wrapper.split.{name}: set modules=[<module path>, ...] and optimizer=dict('
                                 f'type=...), under a name other than {MAIN!r}.')
        if not isinstance(cfg.get('optimizer'), dict):
            raise ValueError('optim_wrapper.optimizer: SplitOptimWrapperConstructor needs the main optimizer config '
                             '(dict(type=..., lr=...)) for the parameters no split takes.')
        self.optim_wrapper_cfg = cfg
        self.paramwise_cfg = paramwise_cfg

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        owner: Dict[int, str] = {}
        optimizers: Dict[str, Optimizer] = {}
        for name, part in self.split.items():
            params = []
            for path in part['modules']:
                try:
                    module = model.get_submodule(path)
                except AttributeError:
                    raise ValueError(f'optim_wrapper.split.{name}.modules: "{path}" is not a module of the model '
                                     f'({type(model).__name__}).') from None
                for p in module.parameters():
                    if id(p) in owner:
                        raise ValueError(f'optim_wrapper.split.{name}.modules: "{path}" shares parameters with '
                                         f'split {owner[id(p)]!r}; each parameter goes to one optimizer.')
                    owner[id(p)] = name
                    params.append(p)
            optimizers[name] = OPTIMIZERS.build(dict(copy.deepcopy(part['optimizer']), params=params))

        # the main optimizer as MMEngine would build it (paramwise_cfg included), minus the split-off parameters,
        # which are removed before its first step (it holds no state yet)
        main = DefaultOptimWrapperConstructor(dict(type='OptimWrapper', optimizer=self.optim_wrapper_cfg['optimizer']),
                                              copy.deepcopy(self.paramwise_cfg))(model).optimizer
        for group in main.param_groups:
            group['params'] = [p for p in group['params'] if id(p) not in owner]
        main.param_groups = [g for g in main.param_groups if g['params']]
        wrapper_cfg = {k: v for k, v in copy.deepcopy(self.optim_wrapper_cfg).items() if k != 'optimizer'}
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(wrapper_cfg,
                                    default_args=dict(optimizer=SplitOptimizer({MAIN: main, **optimizers})))
