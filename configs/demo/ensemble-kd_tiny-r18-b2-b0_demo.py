# Two teachers on the bundled synthetic street scenes: the CNN demo teacher (deeplabv3plus_tiny-r18_demo.py, BGR input
# with caffe-style statistics) and the Transformer demo teacher (segformer_tiny-b2_demo.py, RGB with ImageNet
# statistics) distil the demo student (MiT-B0 layout) by logit KD towards their averaged class probabilities (the
# `ensemble_kd` recipe, T = 1, lambda = 1), with the budget and schedule of kd_tiny-b2-b0_demo.py (one teacher).
# Both checkpoints must exist first: bash tools/quickstart.sh trains the Transformer teacher into
# work_dirs/quickstart/teacher/teacher.pth, and
#   python tools/train.py configs/demo/deeplabv3plus_tiny-r18_demo.py
# writes the CNN teacher's work_dirs/deeplabv3plus_tiny-r18_demo/iter_1200.pth (configs/demo/README.md).
_base_ = ['./segformer_tiny-b0_demo.py']
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teachers=dict(
        cnn=dict(config='configs/demo/deeplabv3plus_tiny-r18_demo.py',
                 checkpoint='work_dirs/deeplabv3plus_tiny-r18_demo/iter_1200.pth'),
        vit=dict(config='configs/demo/segformer_tiny-b2_demo.py',
                 checkpoint='work_dirs/quickstart/teacher/teacher.pth')),
    recipe='ensemble_kd')
