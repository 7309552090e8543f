# Building blocks for distillers with several teachers (`model.teachers`; a fragment: variables only). The recipe
# `ensemble_kd` (mmseg_transkd/models/distillers/recipes.py) lists one `T.<teacher>.logits` per teacher of the config.
_base_ = ['./recorders.py']

# Ensemble target (Hinton et al. 2015 distil an ensemble into one model): per pixel,
# T^2 * KL(mean_m softmax(z_m / T) || softmax(z_s / T)), each teacher's logits resized bilinearly to the student's grid
# first. [I] T = 1, lambda = 1, all pixels, the teachers weighted equally (configs/multi_teacher/README.md).
ensemble_kd_loss = dict(type='EnsembleKLDivergence', tau=1.0, loss_weight=1.0,
                        inputs=dict(preds_S='S.logits', preds_T=None))
