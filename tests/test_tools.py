"""The command-line tools: train.py / test.py / export_student.py errors and runs, and 2-process CPU DDP."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from tiny import REPO, tiny_cfg

ENV = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1',
           PATH=osp.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))


def run(*args, timeout=300):
    return subprocess.run(list(args), cwd=REPO, env=ENV, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize('option,messages', [
    # missing dataset: names the key and how to prepare Cityscapes
    ('train_dataloader.dataset.data_root={tmp}/missing',
     ['train_dataloader.dataset.data_root: dataset folder', 'cityscapes.py']),
    ('model.teacher.checkpoint={tmp}/gone.pth', ['model.teacher.checkpoint: checkpoint file']),
    # fails inside the runner's model build: the work_dir it had started is removed again
    ('model.connectors.pea.inputs=[S.nothing]', ['unknown tensor reference "S.nothing"']),
])
def test_train_bad_input_fails_with_one_message_and_writes_nothing(option, messages, city_root, tmp_path):
    cfg_file = str(tmp_path / 'cfg.py')
    tiny_cfg('base', city_root, str(tmp_path / 'work')).dump(cfg_file)
    work = tmp_path / 'never'
    res = run(sys.executable, 'tools/train.py', cfg_file, '--work-dir', str(work),
              '--cfg-options', option.format(tmp=tmp_path))
    assert res.returncode != 0
    assert all(m in res.stderr for m in messages), res.stderr[-2000:]
    assert not work.exists()


def test_export_refuses_wrong_checkpoint_kinds(city_root, tmp_path):
    plain = str(tmp_path / 'plain.pth')
    torch.save({'state_dict': {'backbone.w': torch.zeros(1)}, 'meta': {}}, plain)
    out = tmp_path / 'out.pth'
    res = run(sys.executable, 'tools/export_student.py', plain, str(out))
    assert res.returncode != 0 and 'not a distillation checkpoint' in res.stderr and not out.exists()
    junk = str(tmp_path / 'junk.pth')
    torch.save({'weights': 1}, junk)
    res = run(sys.executable, 'tools/export_student.py', junk, str(out))
    assert res.returncode != 0 and 'no "state_dict"' in res.stderr and not out.exists()
    res = run(sys.executable, 'tools/export_student.py', str(tmp_path / 'absent.pth'), str(out))
    assert res.returncode != 0 and 'not found' in res.stderr and not out.exists()


def test_dist_train_two_cpu_processes_then_test(city_root, tmp_path):
    """2-process DDP on CPU (gloo) through tools/dist_train.sh, then tools/test.py on the distillation checkpoint."""
    work = str(tmp_path / 'ddp')
    cfg = tiny_cfg('gl', city_root, work, max_iters=2, val_interval=2)
    cfg.train_dataloader.batch_size = 1  # per-process batch 1, the mmseg 8xb1 situation
    cfg_file = str(tmp_path / 'ddp_cfg.py')
    cfg.dump(cfg_file)
    env_port = dict(PORT=str(29500 + os.getpid() % 1000))
    res = subprocess.run(['bash', 'tools/dist_train.sh', cfg_file, '2', '--work-dir', work], cwd=REPO,
                         env=dict(ENV, **env_port), capture_output=True, text=True, timeout=400)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert 'Distributed training: True' in log and 'GPU number: 2' in log  # MMEngine's label for the world size
    assert "dist_cfg: {'backend': 'gloo'}" in log
    assert 'SyncBN layer config(s) replaced by BN' in res.stdout + res.stderr + log
    assert osp.isfile(osp.join(work, 'iter_2.pth'))

    res = run(sys.executable, 'tools/test.py', cfg_file, osp.join(work, 'iter_2.pth'), '--work-dir',
              str(tmp_path / 'test'))
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert 'mIoU' in res.stdout + res.stderr
    res = subprocess.run(['bash', 'tools/dist_test.sh', cfg_file, osp.join(work, 'iter_2.pth'), '2', '--work-dir',
                          str(tmp_path / 'dist_test')], cwd=REPO, env=dict(ENV, **env_port), capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert 'mIoU' in res.stdout + res.stderr


# ----------------------------------------------------------------------------- bad input, run in this process
def run_tool(script: str, *argv: str) -> None:
    """Runs tools/<script> in this process (its checks need no fresh interpreter); exceptions propagate."""
    import runpy
    saved = sys.argv
    sys.argv = [f'tools/{script}', *argv]
    try:
        runpy.run_path(str(REPO / 'tools' / script), run_name='__main__')
    finally:
        sys.argv = saved


def test_test_py_names_a_missing_or_damaged_checkpoint(city_root, tmp_path):
    cfg_file = str(tmp_path / 'cfg.py')
    tiny_cfg('base', city_root, str(tmp_path / 'work')).dump(cfg_file)
    with pytest.raises(FileNotFoundError, match=r'checkpoint: checkpoint file ".*absent\.pth" not found\. .*the '
                       r'CHECKPOINT argument of tools/test\.py'):
        run_tool('test.py', cfg_file, str(tmp_path / 'absent.pth'), '--work-dir', str(tmp_path / 'never'))
    damaged = tmp_path / 'damaged.pth'
    torch.save({'state_dict': {'w': torch.zeros(100)}}, damaged)
    damaged.write_bytes(damaged.read_bytes()[:-30])
    with pytest.raises(ValueError, match=r'checkpoint: ".*damaged\.pth" is not a usable checkpoint \(truncated'):
        run_tool('test.py', cfg_file, str(damaged), '--work-dir', str(tmp_path / 'never'))
    assert not (tmp_path / 'never').exists()


@pytest.mark.parametrize('script', ['train.py', 'test.py'])
def test_head_and_dataset_class_counts_must_agree(script, city_root, tmp_path):
    cfg = tiny_cfg('base', city_root, str(tmp_path / 'work'))
    cfg.model.student.decode_head.num_classes = 18
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    args = [cfg.model.teacher.checkpoint] if script == 'test.py' else []
    loader = 'train_dataloader' if script == 'train.py' else 'test_dataloader'
    with pytest.raises(ValueError, match=rf'model\.student\.decode_head\.num_classes is 18 but {loader}\.dataset '
                       r'\(CityscapesDataset\) has 19 classes \(road, sidewalk, building, wall, \.\.\.\)\. Set '
                       r'model\.student\.decode_head\.num_classes=19'):
        run_tool(script, cfg_file, *args, '--work-dir', str(tmp_path / 'never'))
    assert not (tmp_path / 'never').exists()


def test_resume_refuses_a_checkpoint_of_another_config(city_root, tmp_path, plain_config_text):
    """The work dir's latest checkpoint holds a plain SegFormer, the config a distiller: one message, and the
    checkpoint is left as it was."""
    from tiny import write_teacher_checkpoint
    cfg = tiny_cfg('base', city_root, str(tmp_path / 'work'))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.serialize_data = False  # no gc.collect() over the test process's heap
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    work = tmp_path / 'work'
    work.mkdir()
    other = write_teacher_checkpoint(cfg.model.student.to_dict(), str(work / 'iter_2.pth'))
    (work / 'last_checkpoint').write_text(other)
    before = (work / 'iter_2.pth').read_bytes()
    with pytest.raises(RuntimeError, match=r'--resume: the checkpoint ".*iter_2\.pth" was written by a different '
                       r'model or config: \d+ weight\(s\) of this model are missing \(e\.g\. .*\); \d+ are '
                       r'unknown to it .*train this config in a new --work-dir'):
        run_tool('train.py', cfg_file, '--work-dir', str(work), '--resume')
    assert (work / 'iter_2.pth').read_bytes() == before and not list(work.glob('iter_*[!2].pth'))
