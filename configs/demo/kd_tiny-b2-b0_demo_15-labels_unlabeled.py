# The quickstart's regime (docs/quickstart.md): few labels, many unlabeled scenes. Every batch holds the 4 labeled
# crops of the student alone with few labels (segformer_tiny-b0_demo_15-labels.py: the first 15 training scenes, the
# same crops under one seed) and 4 unlabeled ones (train_extra). Data: python tools/make_demo_data.py --train 120
# --extra 360 --subset 15. The teacher trains on all 120 labeled scenes.
_base_ = ['./kd_tiny-b2-b0_demo_unlabeled.py']
train_dataloader = dict(batch_size=8, dataset=dict(labeled=dict(ann_file='splits/train_15.txt')))  # 4 + 4
