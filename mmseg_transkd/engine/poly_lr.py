"""A polynomial learning-rate decay in closed form over a fixed number of decay steps, with an optional step offset."""
from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler
from mmseg.registry import PARAM_SCHEDULERS


class ClosedFormPolyParamScheduler(_ParamScheduler):
    """Polynomial decay evaluated from its closed form at every step, as the schedulers of other codebases define it.

    At the scheduler's k-th step (``last_step`` = k, 0 before the first ``step()`` of training) the value is

        v_k = (v_0 − eta_min) · (1 − s / max_decay_steps)^power + eta_min,   s = min(k + step_offset, max_decay_steps)

    with v_0 the group's initial value. It differs from MMEngine's ``PolyParamScheduler`` in two ways that change the
    sequence: MMEngine decays over ``end − begin − 1`` steps (so the last step of the window already reaches
    ``eta_min``), and chains the values multiplicatively (rounding accumulates over the steps); here the denominator is
    ``max_decay_steps`` itself and every value is computed from v_0. Not chainable: it overwrites the value.

    Two uses in this repository:

    - ``step_offset=1``: the ``PolynomialLRDecay`` of ``cmpark0126/pytorch-polynomial-lr-decay`` that the TransKD
      release pins (spec §3.1), whose constructor already performs its first step; stepped once per epoch, epoch e
      (1-based) then trains at base · (1 − e / max_decay_steps)^power. After ``max_decay_steps`` steps that library
      stops updating, so the value stays at ``eta_min``, as here.
    - ``step_offset=0``: TensorFlow's ``polynomial_decay(lr, global_step, decay_steps, end_lr, power)`` as
      TF-DeepLab's "poly" policy uses it (the recipe of Knowledge Adaptation, seeds.md §3.3): step k trains at
      base · (1 − k / decay_steps)^power.

    Args:
        optimizer: Wrapped optimizer.
        param_name (str): The scheduled parameter (``'lr'``).
        max_decay_steps (int): Steps over which the value decays to ``eta_min``.
        eta_min (float): Final value (the libraries' ``end_learning_rate``). Defaults to 0.
        power (float): Exponent of the polynomial. Defaults to 1.
        step_offset (int): Decay steps already taken before the first training step (1 for cmpark0126's scheduler,
            whose constructor steps). Defaults to 0.
        begin, end, last_step, by_epoch, verbose: As MMEngine's schedulers.
    """

    def __init__(self, optimizer, param_name: str, max_decay_steps: int, eta_min: float = 0.0, power: float = 1.0,
                 step_offset: int = 0, begin: int = 0, end: int = INF, last_step: int = -1, by_epoch: bool = True,
                 verbose: bool = False) -> None:
        if int(max_decay_steps) < 1:
            raise ValueError(f'{type(self).__name__}: max_decay_steps must be a positive number of steps, got '
                             f'{max_decay_steps!r}')
        if int(step_offset) < 0:
            raise ValueError(f'{type(self).__name__}: step_offset must be >= 0, got {step_offset!r}')
        self.max_decay_steps, self.eta_min, self.power = int(max_decay_steps), eta_min, power
        self.step_offset = int(step_offset)
        super().__init__(optimizer, param_name=param_name, begin=begin, end=end, last_step=last_step,
                         by_epoch=by_epoch, verbose=verbose)

    def _get_value(self) -> list:
        s = min(self.last_step + self.step_offset, self.max_decay_steps)
        factor = (1 - s / self.max_decay_steps) ** self.power
        return [(base - self.eta_min) * factor + self.eta_min for base in self.base_values]


@PARAM_SCHEDULERS.register_module()
class ClosedFormPolyLR(LRSchedulerMixin, ClosedFormPolyParamScheduler):
    """:class:`ClosedFormPolyParamScheduler` on the learning rate (see there for the formula and its two uses)."""
