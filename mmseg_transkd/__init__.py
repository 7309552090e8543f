"""mmseg_transkd: knowledge distillation for semantic segmentation on MMSegmentation 1.x.

Importing the package registers every distiller, connector, loss and recorder into mmseg's registries, and lets
``torch.load(weights_only=True)`` read MMEngine's own training checkpoints (needed by ``--resume`` on torch >= 2.6).
"""
from .datasets import *  # noqa: F401,F403
from .engine import *  # noqa: F401,F403
from .evaluation import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
from .utils.safe_load import register_safe_globals

register_safe_globals()

__version__ = '0.1.0'
