# The student alone with few labels (the quickstart's regime, docs/quickstart.md): the first 15 training scenes only
# (splits/train_15.txt, written by python tools/make_demo_data.py --subset 15), 4 crops per step. The teacher
# (segformer_tiny-b2_demo.py) trains on every training scene.
_base_ = ['./segformer_tiny-b0_demo.py']
train_dataloader = dict(batch_size=4, dataset=dict(ann_file='splits/train_15.txt'))
