"""The model index and the docs: model-index.yml, every configs/<method>/metafile.yml and README.md, and the links
between the README, the method READMEs and docs/ (files and #anchors). Reads files only (no config is built)."""
import glob
import os
import os.path as osp
import re

import pytest
import yaml

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
METHOD_FOLDERS = sorted(d for d in os.listdir(osp.join(REPO, 'configs'))
                        if osp.isdir(osp.join(REPO, 'configs', d)) and d != '_base_')


def load(path):
    with open(osp.join(REPO, path), encoding='utf-8') as f:
        return yaml.safe_load(f)


def teachers_of(model: dict) -> list:
    """The teacher entries of a metafile model: ``Metadata.Teacher``, or every ``Metadata.Teachers.<name>``."""
    meta = model['Metadata']
    return ([meta['Teacher']] if 'Teacher' in meta else []) + list((meta.get('Teachers') or {}).values())


@pytest.fixture(scope='module')
def metafiles():
    return {path: load(path) for path in load('model-index.yml')['Import']}


def test_model_index_imports_every_method_folder(metafiles):
    assert METHOD_FOLDERS, 'no method folder under configs/'
    assert sorted(metafiles) == [f'configs/{d}/metafile.yml' for d in METHOD_FOLDERS]
    for folder in METHOD_FOLDERS:
        assert osp.isfile(osp.join(REPO, 'configs', folder, 'README.md')), f'configs/{folder}/README.md is missing'


def test_collections(metafiles):
    names = [c['Name'] for doc in metafiles.values() for c in doc.get('Collections', [])]
    assert len(names) == len(set(names)), 'a collection name is defined twice'
    for path, doc in metafiles.items():
        for c in doc.get('Collections', []):
            assert c['Paper']['Title'] and c['Paper']['URL'].startswith('https://'), (path, c['Name'])
            assert c['README'] == osp.join(osp.dirname(path), 'README.md'), (path, c['Name'])
            assert osp.isfile(osp.join(REPO, c['Code'])), (path, c['Name'], c['Code'])
            assert c['Metadata']['Training Data'], (path, c['Name'])


def test_models_name_existing_configs_and_collections(metafiles):
    collections = {c['Name'] for doc in metafiles.values() for c in doc.get('Collections', [])}
    seen = set()
    for path, doc in metafiles.items():
        folder = osp.dirname(path)
        for m in doc['Models']:
            assert m['Name'] not in seen, f'model {m["Name"]} is listed twice'
            seen.add(m['Name'])
            assert m['In Collection'] in collections, (path, m['Name'], m['In Collection'])
            assert osp.dirname(m['Config']) == folder, (path, m['Config'])
            assert osp.isfile(osp.join(REPO, m['Config'])), f'{path}: {m["Config"]} does not exist'
            assert osp.splitext(osp.basename(m['Config']))[0] == m['Name'], (path, m['Name'])
            for teacher in teachers_of(m):
                if not teacher['Config'].startswith('mmseg::'):
                    assert osp.isfile(osp.join(REPO, teacher['Config'])), (path, m['Name'], teacher['Config'])
                if 'Weights' in teacher:
                    assert teacher['Weights'].startswith('https://'), (path, m['Name'])
                if 'Results' in teacher:
                    assert teacher['Results']['Source'].startswith("mmseg's model zoo"), (path, m['Name'])


def test_every_shipped_config_is_in_its_metafile(metafiles):
    for folder in METHOD_FOLDERS:
        shipped = sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs', folder, '*.py')))
        listed = sorted(m['Config'] for m in metafiles[f'configs/{folder}/metafile.yml']['Models'])
        assert listed == shipped, f'configs/{folder}/metafile.yml: run tools/misc/make_metafiles.py'


def test_teacher_weights_appear_in_the_configs(metafiles):
    """Every teacher URL of a metafile is written in a config of this repository (the metafile invents none)."""
    text = ''.join(open(p, encoding='utf-8').read() for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                                                                      recursive=True))
    text += ''.join(open(p, encoding='utf-8').read()
                    for p in glob.glob(osp.join(REPO, 'mmseg_transkd', 'configs', '**', '*.py'), recursive=True))
    for doc in metafiles.values():
        for m in doc['Models']:
            for teacher in teachers_of(m):
                url = teacher.get('Weights')
                assert url is None or url in text, (m['Name'], url)


# ---------------------------------------------------------------------------------------------------------------------
# Markdown links: the top README's method links, and every relative link (file and #anchor) of the docs.
# ---------------------------------------------------------------------------------------------------------------------
DOCS = ['README.md'] + sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'docs', '*.md'))) + \
    sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs', '*', 'README.md')))
LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')
FENCE = re.compile(r'^(```|~~~)')


def markdown_lines(path):
    """Lines outside fenced code blocks."""
    inside = False
    with open(osp.join(REPO, path), encoding='utf-8') as f:
        for line in f:
            if FENCE.match(line.strip()):
                inside = not inside
                continue
            if not inside:
                yield line


def anchors(path):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered."""
    seen, out = {}, set()
    for line in markdown_lines(path):
        m = re.match(r'^#{1,6}\s+(.*?)\s*#*\s*$', line)
        if not m:
            continue
        slug = re.sub(r'[^\w\- ]', '', m.group(1).strip().lower()).replace(' ', '-')
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f'{slug}-{n}')
    return out


def test_top_readme_links_every_method_readme():
    links = {m.group(1).split('#')[0] for line in markdown_lines('README.md') for m in LINK.finditer(line)}
    for folder in METHOD_FOLDERS:
        assert f'configs/{folder}/README.md' in links, f'README.md does not link configs/{folder}/README.md'


@pytest.mark.parametrize('doc', DOCS)
def test_relative_links_resolve(doc):
    for line in markdown_lines(doc):
        for m in LINK.finditer(line):
            target = m.group(1)
            if re.match(r'^[a-z]+://', target) or target.startswith('mailto:'):
                continue
            path, _, anchor = target.partition('#')
            full = osp.normpath(osp.join(osp.dirname(doc), path)) if path else doc
            assert osp.exists(osp.join(REPO, full)), f'{doc}: link to {target}: {full} does not exist'
            if anchor and full.endswith('.md'):
                assert anchor in anchors(full), f'{doc}: link to {target}: no heading with that anchor in {full}'
