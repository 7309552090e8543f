import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import mmseg_transkd  # noqa: E402,F401  (registers the plugin)
from mmengine.registry import init_default_scope  # noqa: E402
from tiny import write_cityscapes_like  # noqa: E402

init_default_scope('mmseg')  # what the runner does; unit tests build models outside it


@pytest.fixture(scope='session')
def city_root(tmp_path_factory) -> str:
    """A tiny dataset in the Cityscapes folder layout, shared by the tests of one session."""
    return write_cityscapes_like(str(tmp_path_factory.mktemp('cityscapes')))


@pytest.fixture
def plain_config_text(monkeypatch):
    """MMEngine lays out config texts with yapf 5-6 times per Runner run (log, dump, every checkpoint's meta), most of
    a tiny run's time; without it a text is the same code, unformatted. Processes forked afterwards inherit it."""
    import mmengine.config.config as config_module
    monkeypatch.setattr(config_module, 'FormatCode', lambda text, **kwargs: (text, False))
