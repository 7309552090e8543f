"""Writes ``configs/<method>/metafile.yml`` and ``model-index.yml`` from the shipped configs (a maintainer tool).

    python tools/misc/make_metafiles.py            # rewrite every metafile and model-index.yml
    python tools/misc/make_metafiles.py --check    # exit 1 if a written file differs from what would be written

The schema is mmseg's / MMRazor's: ``Collections`` (one per method: name, paper title and URL, the README, the code
that implements it) and ``Models`` (one per config: name, collection, config path, metadata). Everything under
``Metadata`` is read from the built config (dataset, crop, schedule, batch, student and teacher architectures, the
teacher's config and checkpoint, the recipe), so a metafile cannot say something its config does not.

``Results`` are written only where a command of this repository printed them for that config; no config has such a
result yet, so no model has ``Results``. ``Weights`` (a trained model of the config) are likewise absent: the configs
carry only their teachers' checkpoints, listed under ``Metadata.Teacher`` (``Metadata.Teachers.<name>`` for a config
with several) with, for a checkpoint of mmseg's model zoo, the teacher's result as mmseg's own metafile gives it
(matched by the checkpoint URL, never typed in). Loading every config takes about a minute.
"""
import argparse
import os
import os.path as osp
import sys
import warnings
from collections import OrderedDict
from typing import Dict, List, Optional

import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

# --------------------------------------------------------------------------------------------------------------------
# Collections: the facts a config cannot carry (papers, where each method is documented and implemented).
# Each collection is written into the metafile of its home folder; models of other folders may refer to it.
# --------------------------------------------------------------------------------------------------------------------
_TRANSKD_PAPER = dict(Title='TransKD: Transformer Knowledge Distillation for Efficient Semantic Segmentation',
                      URL='https://arxiv.org/abs/2202.13393')
COLLECTIONS = OrderedDict([
    ('TransKD', dict(home='transkd', Paper=_TRANSKD_PAPER,
                     Code='mmseg_transkd/configs/distill/transkd_mit.py',
                     extra=dict(**{'Official Code': 'https://github.com/RuipingL/TransKD'}))),
    ('TransKD (paper protocol)', dict(home='transkd_paper', Paper=_TRANSKD_PAPER,
                                      Code='mmseg_transkd/configs/distill/transkd_mit.py',
                                      extra=dict(**{'Official Code': 'https://github.com/RuipingL/TransKD'}))),
    ('C2VKD', dict(home='c2vkd',
                   Paper=dict(Title='Distilling Efficient Vision Transformers from CNNs for Semantic Segmentation',
                              URL='https://arxiv.org/abs/2310.07265'),
                   Code='mmseg_transkd/configs/distill/c2vkd.py',
                   extra=dict(**{'Official Code': 'https://github.com/zhengxuJosh/C2VKD'}))),
    ('HeteroAKD', dict(home='heteroakd',
                       Paper=dict(Title='Distilling Knowledge from Heterogeneous Architectures for Semantic '
                                  'Segmentation', URL='https://arxiv.org/abs/2504.07691'),
                       Code='mmseg_transkd/configs/distill/heteroakd.py')),
    ('Knowledge Adaptation', dict(home='ka',
                                  Paper=dict(Title='Knowledge Adaptation for Efficient Semantic Segmentation',
                                             URL='https://arxiv.org/abs/1903.04688'),
                                  Code='mmseg_transkd/configs/distill/ka.py')),
    ('KD', dict(home='baselines',
                Paper=dict(Title='Distilling the Knowledge in a Neural Network',
                           URL='https://arxiv.org/abs/1503.02531'),
                Code='mmseg_transkd/configs/distill/baselines.py')),
    ('FitNet', dict(home='baselines',
                    Paper=dict(Title='FitNets: Hints for Thin Deep Nets', URL='https://arxiv.org/abs/1412.6550'),
                    Code='mmseg_transkd/configs/distill/baselines.py')),
    ('CWD', dict(home='baselines',
                 Paper=dict(Title='Channel-wise Knowledge Distillation for Dense Prediction',
                            URL='https://arxiv.org/abs/2011.13256'),
                 Code='mmseg_transkd/configs/distill/baselines.py')),
    ('SKD', dict(home='baselines',
                 Paper=dict(Title='Structured Knowledge Distillation for Semantic Segmentation',
                            URL='https://arxiv.org/abs/1903.04197'),
                 Code='mmseg_transkd/configs/distill/baselines.py')),
    ('IFVD', dict(home='baselines',
                  Paper=dict(Title='Intra-class Feature Variation Distillation for Semantic Segmentation',
                             URL='https://arxiv.org/abs/2010.00951'),
                  Code='mmseg_transkd/configs/distill/baselines.py')),
    ('Knowledge Review', dict(home='baselines',
                              Paper=dict(Title='Distilling Knowledge via Knowledge Review',
                                         URL='https://arxiv.org/abs/2104.09044'),
                              Code='mmseg_transkd/configs/distill/baselines.py')),
    ('CIRKD', dict(home='baselines',
                   Paper=dict(Title='Cross-Image Relational Knowledge Distillation for Semantic Segmentation',
                              URL='https://arxiv.org/abs/2204.06986'),
                   Code='mmseg_transkd/configs/distill/cirkd_recipe.py')),
    ('DIST', dict(home='baselines',
                  Paper=dict(Title='Knowledge Distillation from A Stronger Teacher',
                             URL='https://arxiv.org/abs/2205.10536'),
                  Code='mmseg_transkd/configs/distill/baselines.py')),
    # several teachers: Hinton et al. distil an ensemble of models into one (the ensemble target of `ensemble_kd`)
    ('Multi-teacher KD', dict(home='multi_teacher',
                              Paper=dict(Title='Distilling the Knowledge in a Neural Network',
                                         URL='https://arxiv.org/abs/1503.02531'),
                              Code='mmseg_transkd/configs/distill/multi_teacher.py')),
])

# The README of each method folder (every collection of a folder points at it).
FOLDER_README = {folder: f'configs/{folder}/README.md'
                 for folder in ('transkd', 'transkd_paper', 'c2vkd', 'heteroakd', 'ka', 'baselines', 'demo',
                                'multi_teacher')}

# Collection of a distillation config, by the recipe it names.
RECIPE_COLLECTION = {
    'transkd_base': 'TransKD', 'transkd_gl': 'TransKD', 'transkd_ea': 'TransKD',
    'c2vkd': 'C2VKD', 'c2vkd_noclip': 'C2VKD', 'c2vkd_pool_both': 'C2VKD',
    'heteroakd': 'HeteroAKD', 'ka_stage2': 'Knowledge Adaptation', 'ka_kd': 'KD', 'ka_fitnet': 'FitNet',
    'kd': 'KD', 'fitnet': 'FitNet', 'fitnet_backbone': 'FitNet', 'fitnet_cirkd': 'FitNet', 'cwd': 'CWD',
    'cwd_segformer': 'CWD', 'cwd_feat': 'CWD', 'cwd_feat_backbone': 'CWD', 'cwd_cirkd': 'CWD',
    'cwd_cirkd_segformer': 'CWD', 'skd': 'SKD', 'skd_adv': 'SKD', 'ifvd': 'IFVD', 'ifvd_backbone': 'IFVD',
    'ifvd_cirkd': 'IFVD', 'ifvd_adv': 'IFVD', 'review': 'Knowledge Review', 'cirkd': 'CIRKD',
    'cirkd_backbone': 'CIRKD', 'dist': 'DIST',
    'ensemble_kd': 'Multi-teacher KD',
}
# Collection of a config with several teachers whose recipe is a list of entries (one recipe per teacher).
SEVERAL_RECIPES_COLLECTION = 'Multi-teacher KD'

# Configs of models trained alone (teachers to train first, student-alone references): the method they serve.
TRAINED_ALONE_COLLECTION = {
    'segformer_mit-b0_8xb1-160k_acdc-1024x1024': 'TransKD', 'segformer_mit-b2_8xb1-160k_acdc-1024x1024': 'TransKD',
    'segformer_mit-b0_8xb2-40k_nyuv2-40-480x480': 'TransKD', 'segformer_mit-b2_8xb2-40k_nyuv2-40-480x480': 'TransKD',
    'segformer_mit-b0_8xb2-40k_voc12aug-512x512': 'TransKD', 'segformer_mit-b2_8xb2-40k_voc12aug-512x512': 'TransKD',
    'segformer_mit-b0_8xb2-20k_camvid-360x360': 'TransKD', 'segformer_mit-b2_8xb2-20k_camvid-360x360': 'TransKD',
    'fpn_pvtv2-b0_4xb2-80k_cityscapes-512x1024': 'TransKD', 'fpn_pvtv2-b2_4xb2-80k_cityscapes-512x1024': 'TransKD',
    'segformer_mit-b0_8xb3-50k_cityscapes-512x512': 'C2VKD', 'segformer_mit-b1_8xb3-50k_cityscapes-512x512': 'C2VKD',
    'deeplabv3_r18-d8_8xb2-20k_camvid-360x360': 'CIRKD', 'deeplabv3_r101-d8_8xb2-20k_camvid-360x360': 'CIRKD',
    'segformer-official-b0_1xb2-1000e_city-512x1024': 'TransKD (paper protocol)',
    'segformer-official-b0_1xb2-1000e_city-512x1024_official-eval': 'TransKD (paper protocol)',
    'segformer-official-b2_1xb2-1000e_city-512x1024': 'TransKD (paper protocol)',
    'segformer-official-b2_1xb2-1000e_city-512x1024_official-eval': 'TransKD (paper protocol)',
    'segformer-official-b0_1xb2-1000e_acdc-512x910': 'TransKD (paper protocol)',
    'segformer-official-b0_1xb2-1000e_acdc-512x910_official-eval': 'TransKD (paper protocol)',
    'segformer-official-b2_1xb2-1000e_acdc-512x910': 'TransKD (paper protocol)',
    'segformer-official-b2_1xb2-1000e_acdc-512x910_official-eval': 'TransKD (paper protocol)',
    'deeplabv3-mitb4_deeplabv3-mbv2_teacher_city': 'HeteroAKD',
    'mobilenet-v2-os16_city': 'Knowledge Adaptation', 'mobilenet-v2-os16_voc12aug': 'Knowledge Adaptation',
    'mobilenet-v2-os16_context': 'Knowledge Adaptation',
    'segformer_tiny-b0_demo': 'TransKD', 'segformer_tiny-b2_demo': 'TransKD',
    'segformer_tiny-b0_demo_15-labels': 'TransKD',
    'fcn_tiny-r18-d8_demo': 'Knowledge Adaptation', 'mobilenet-v2-os16_tiny_demo': 'Knowledge Adaptation',
    'deeplabv3plus_tiny-r18_demo': 'Multi-teacher KD',
}
# Folders whose models all have the same collection regardless of their recipe.
FOLDER_COLLECTION = {'transkd_paper': 'TransKD (paper protocol)', 'multi_teacher': 'Multi-teacher KD'}

DATASET_NAMES = {
    'CityscapesDataset': 'Cityscapes', 'ACDCDataset': 'ACDC', 'NYUv2SegDataset': 'NYUv2 (40 classes)',
    'PascalVOCDataset': 'Pascal VOC 2012 aug', 'ADE20KDataset': 'ADE20K', 'PascalContextDataset': 'Pascal Context',
    'PascalContextDataset59': 'Pascal Context (59)', 'CamVidDataset': 'CamVid (11 classes)',
}
HEAD_NAMES = {
    'ASPPHead': 'DeepLabV3', 'DepthwiseSeparableASPPHead': 'DeepLabV3+', 'SegformerHead': 'SegFormer',
    'OfficialSegformerHead': 'SegFormer (official TransKD head)', 'FPNHead': 'Semantic FPN',
    'MobileDeepLabHead': 'MobileNetV2 DeepLab head (TF-DeepLab)', 'FCNHead': 'FCN',
}
_MIT = {(32, (2, 2, 2, 2)): 'B0', (64, (2, 2, 2, 2)): 'B1', (64, (3, 4, 6, 3)): 'B2', (64, (3, 4, 18, 3)): 'B3',
        (64, (3, 8, 27, 3)): 'B4', (64, (3, 6, 40, 3)): 'B5'}


def _tuple(x):
    return tuple(x) if isinstance(x, (list, tuple)) else x


def backbone_name(bb) -> str:
    """A short architecture name of a backbone config, mmseg style (``MIT-B0``, ``R-101-D8``)."""
    t = bb['type'].split('.')[-1]
    if t in ('MixVisionTransformer', 'OfficialMixVisionTransformer'):
        key = (bb.get('embed_dims'), _tuple(bb.get('num_layers')))
        name = f'MIT-{_MIT[key]}' if key in _MIT else f'MIT (shrunk: embed_dims {key[0]}, num_layers {list(key[1])})'
        return name + (' (official layout)' if t.startswith('Official') else '')
    if t == 'PVTv2':
        key = (bb.get('embed_dims'), _tuple(bb.get('num_layers')))
        return {(32, (2, 2, 2, 2)): 'PVTv2-B0', (64, (3, 4, 6, 3)): 'PVTv2-B2'}.get(key, f'PVTv2 {key}')
    if t in ('ResNetV1c', 'ResNet', 'ResNetV1d'):
        strides = bb.get('strides', (1, 2, 2, 2))
        stride = 4
        for s in strides[1:]:
            stride *= s
        mg = bb.get('multi_grid')
        shrunk = bb.get('base_channels', 64) != 64  # e.g. the demo's CNN teacher
        return (f'R-{bb["depth"]}-D{stride}' + (f'-MG{"".join(str(g) for g in mg)}' if mg else '')
                + (f' (shrunk: base_channels {bb["base_channels"]})' if shrunk else ''))
    if t == 'MobileNetV2':
        stride = 2
        for s in bb.get('strides', (1, 2, 2, 2, 1, 2, 1)):
            stride *= s
        return f'MobileNetV2-D{stride}'
    return t


def architecture(model) -> List[str]:
    head = model['decode_head']['type']
    return [backbone_name(model['backbone']), HEAD_NAMES.get(head, head)]


def dataset_name(ds) -> str:
    if ds['type'] == 'ConcatDataset':
        return dataset_name(ds['datasets'][0])
    if ds['type'] == 'LabeledUnlabeledDataset':  # docs/unlabeled.md
        return f"{dataset_name(ds['labeled'])} + unlabeled images ({ds['unlabeled']['data_prefix']['img_path']})"
    if 'demo' in str(ds.get('data_root', '')):
        return 'synthetic street scenes (tools/make_demo_data.py)'
    name = DATASET_NAMES.get(ds['type'], ds['type'])
    conditions = ds.get('conditions')
    if isinstance(conditions, (list, tuple)) and set(conditions) == {'fog', 'night', 'rain', 'snow'}:
        conditions = None
    if conditions not in (None, 'all'):
        name += f' ({conditions})' if isinstance(conditions, str) else f' ({", ".join(conditions)})'
    return name


def train_pipeline(ds):
    if ds['type'] == 'ConcatDataset':
        return train_pipeline(ds['datasets'][0])
    if ds['type'] == 'LabeledUnlabeledDataset':
        return train_pipeline(ds['labeled'])
    return ds.get('pipeline', [])


def mmseg_zoo() -> Dict[str, Dict]:
    """{checkpoint URL: (model name, metafile, Results)} of mmseg's own model zoo (its installed metafiles)."""
    import glob

    import mmseg
    root = osp.join(osp.dirname(mmseg.__file__), '.mim')
    zoo = {}
    for path in sorted(glob.glob(osp.join(root, 'configs', '*', 'metafile.yaml'))):
        with open(path, encoding='utf-8') as f:
            doc = yaml.safe_load(f)
        for m in doc.get('Models', []):
            if m.get('Weights') and m.get('Results'):
                zoo[m['Weights']] = (m['Name'], osp.relpath(path, root), m['Results'])
    return zoo


def rel(path: str) -> str:
    return osp.relpath(path, REPO) if osp.isabs(path) and path.startswith(REPO) else path


def recipe_text(recipe):
    """A recipe name as it is; a several-teacher list as ``['<recipe> (teacher <name>, weight <w>)', ...]``."""
    if not isinstance(recipe, (list, tuple)):
        return recipe
    texts = []
    for entry in recipe:
        entry = dict(recipe=entry) if isinstance(entry, str) else entry
        extra = ', '.join(f'{k} {entry[k]}' for k in ('teacher', 'weight') if k in entry)
        texts.append(entry['recipe'] + (f' ({extra})' if extra else ''))
    return texts


def teacher_entry(teacher, teacher_arch: Dict[str, List[str]], zoo: Dict[str, Dict]) -> Dict:
    """A teacher's config, architecture, checkpoint and (for mmseg's model zoo) its released result."""
    tcfg = rel(teacher['config'])
    t = OrderedDict(Config=tcfg, Architecture=teacher_arch[tcfg])
    ckpt = teacher.get('checkpoint')
    if ckpt:
        t['Weights' if '://' in ckpt else 'Checkpoint'] = ckpt
    if ckpt in zoo:  # the teacher's own result, as mmseg's model zoo gives it for that checkpoint
        zoo_name, zoo_file, results = zoo[ckpt]
        t['Results'] = OrderedDict([('Dataset', results['Dataset']), ('Metrics', results['Metrics']),
                                    ('Source', f"mmseg's model zoo: {zoo_name} in mmseg's {zoo_file}")])
    return t


def model_entry(path: str, cfg, teacher_arch: Dict[str, List[str]], zoo: Dict[str, Dict]) -> Dict:
    folder = path.split('/')[1]
    name = osp.splitext(osp.basename(path))[0]
    model = cfg.model
    kind = model['type']
    meta = OrderedDict()
    if kind == 'DistillSegmentor':
        meta['Role'] = 'distillation'
        recipe = model.get('recipe')
        meta['Recipe'] = recipe_text(recipe)
        collection = FOLDER_COLLECTION.get(folder) or (SEVERAL_RECIPES_COLLECTION if isinstance(recipe, (list, tuple))
                                                       else RECIPE_COLLECTION[recipe])
        student = model['student']
    elif kind == 'KnowledgeTranslator':
        meta['Role'] = 'KA stage 1: teacher-feature autoencoder'
        collection = 'Knowledge Adaptation'
        student = None
    else:
        meta['Role'] = 'trained alone'
        collection = TRAINED_ALONE_COLLECTION[name]
        student = model
    if meta.get('Recipe') is None:
        meta.pop('Recipe', None)
    meta['Training Data'] = dataset_name(cfg.train_dataloader['dataset'])
    if cfg.get('val_dataloader'):
        evaluation = dataset_name(cfg.val_dataloader['dataset'])
        if evaluation != meta['Training Data']:
            meta['Evaluation Data'] = evaluation
    for step in train_pipeline(cfg.train_dataloader['dataset']):
        if step['type'] == 'RandomCrop':
            meta['Crop Size'] = 'x'.join(str(s) for s in step['crop_size'])
        elif step['type'] == 'PILResize':
            w, h = step['scale']
            meta['Input Size'] = f'whole image resized to fit {h}x{w}, aspect ratio kept'
    meta['Batch Size per GPU'] = cfg.train_dataloader['batch_size']
    ratio = (cfg.train_dataloader.get('sampler') or {}).get('unlabeled_ratio')
    if ratio is not None:
        meta['Unlabeled Share of a Batch'] = ratio
    loop = cfg.train_cfg
    if 'max_iters' in loop:
        meta['Iterations'] = loop['max_iters']
    else:
        meta['Epochs'] = loop['max_epochs']
    if cfg.get('val_evaluator'):
        meta['Metric'] = cfg.val_evaluator['type'].split('.')[-1]
    if cfg.get('test_evaluator'):
        test_metric = cfg.test_evaluator['type'].split('.')[-1]
        if test_metric != meta.get('Metric'):
            meta['Test Metric'] = test_metric
    if student is not None:
        meta['Architecture'] = architecture(student)
    teacher = model.get('teacher')
    if teacher is not None:
        meta['Teacher'] = teacher_entry(teacher, teacher_arch, zoo)
    if model.get('teachers'):  # several teachers, by name
        meta['Teachers'] = OrderedDict((name, teacher_entry(t, teacher_arch, zoo))
                                       for name, t in model['teachers'].items())
    return OrderedDict([('Name', name), ('In Collection', collection), ('Config', path), ('Metadata', meta)])


def collect() -> Dict[str, Dict]:
    """{folder: metafile dict} for every method folder under configs/."""
    import mmseg_transkd  # noqa: F401  (custom_imports of the configs)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseg_transkd.utils import load_config, teacher_specs  # also reads mmseg::path.py
    init_default_scope('mmseg')

    teacher_cache: Dict[str, List[str]] = {}
    zoo = mmseg_zoo()
    models: Dict[str, List[Dict]] = OrderedDict()
    folders = sorted(d for d in os.listdir(osp.join(REPO, 'configs'))
                     if osp.isdir(osp.join(REPO, 'configs', d)) and d != '_base_')
    cwd = os.getcwd()
    os.chdir(REPO)  # teacher configs may be named relative to the repository root
    try:
        for folder in folders:
            models[folder] = []
            for fname in sorted(os.listdir(osp.join('configs', folder))):
                if not fname.endswith('.py'):
                    continue
                path = f'configs/{folder}/{fname}'
                cfg = Config.fromfile(path)
                for _, teacher in teacher_specs(cfg.model):
                    tcfg = rel(teacher['config'])
                    if tcfg not in teacher_cache:
                        teacher_cache[tcfg] = architecture(load_config(tcfg).model)
                models[folder].append(model_entry(path, cfg, teacher_cache, zoo))
    finally:
        os.chdir(cwd)

    metafiles = OrderedDict()
    for folder in folders:
        collections = []
        for cname, c in COLLECTIONS.items():
            if c['home'] != folder:
                continue
            data = sorted({m['Metadata']['Training Data'] for ms in models.values() for m in ms
                           if m['In Collection'] == cname})
            entry = OrderedDict(Name=cname)
            entry['Metadata'] = OrderedDict([('Training Data', data)])
            entry['Metadata'].update(c.get('extra', {}))
            entry['Paper'] = OrderedDict([('Title', c['Paper']['Title']), ('URL', c['Paper']['URL'])])
            entry['README'] = FOLDER_README[folder]
            entry['Code'] = c['Code']
            collections.append(entry)
        doc = OrderedDict()
        if collections:
            doc['Collections'] = collections
        doc['Models'] = models[folder]
        metafiles[folder] = doc
    return metafiles


class _Dumper(yaml.SafeDumper):

    def ignore_aliases(self, data):  # no &id001 anchors: every entry reads on its own
        return True


_Dumper.add_representer(OrderedDict, lambda d, data: d.represent_dict(data.items()))
_Dumper.add_representer(tuple, lambda d, data: d.represent_list(list(data)))

HEADER = ('# Written by tools/misc/make_metafiles.py from the configs; edit the configs or that script, then re-run '
          'it.\n'
          '# No model has Results: no command of this repository has printed a result for these configs yet.\n'
          "# Metadata.Teacher.Results is the teacher's result in mmseg's model zoo, read from mmseg's own metafile.\n")


def render(doc) -> str:
    return HEADER + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--check', action='store_true', help='only compare, write nothing')
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        metafiles = collect()
    files = {f'configs/{folder}/metafile.yml': render(doc) for folder, doc in metafiles.items()}
    files['model-index.yml'] = yaml.dump(
        OrderedDict(Import=[f'configs/{folder}/metafile.yml' for folder in metafiles]), Dumper=_Dumper,
        sort_keys=False)
    stale = []
    for path, text in files.items():
        full = osp.join(REPO, path)
        old = open(full, encoding='utf-8').read() if osp.exists(full) else None
        if old == text:
            continue
        stale.append(path)
        if not args.check:
            tmp = full + '.tmp'
            with open(tmp, 'w', encoding='utf-8') as f:
                f.write(text)
            os.replace(tmp, full)
    verb = 'differ' if args.check else 'written'
    print(f'{len(stale)} of {len(files)} files {verb}' + (': ' + ', '.join(stale) if stale else ''))
    return 1 if args.check and stale else 0


if __name__ == '__main__':
    sys.exit(main())
