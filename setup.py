"""Installs the mmseg_transkd plugin (``pip install -e .``)."""
from setuptools import find_packages, setup

setup(
    name='mmseg_transkd',
    version='0.1.0',
    description='Knowledge distillation for semantic segmentation on MMSegmentation 1.x (TransKD and more)',
    packages=find_packages(include=['mmseg_transkd', 'mmseg_transkd.*']),
    # the distillation recipes' config fragments (read by mmseg_transkd.models.distillers.recipes)
    package_data={'mmseg_transkd': ['configs/distill/*.py']},
    python_requires='>=3.11',
    install_requires=['mmengine==0.10.7', 'mmcv==2.1.0', 'mmsegmentation==1.2.2', 'mmpretrain==1.2.0'],
    extras_require={'tests': ['pytest>=8', 'mmdet==3.3.0'], 'pvtv2': ['mmdet==3.3.0']},
)
