# C2VKD-noCLIP: C2VKD without the linguistic VLFD term, for users without CLIP RN101 weights. NOT the paper method;
# LogNoteHook writes so into the log. L = L_PDD + 0.1 L_glob + 0.1 L_patch.
_base_ = ['./deeplabv3plus-r101_segformer-b0_city.py']
model = dict(recipe='c2vkd_noclip')
custom_hooks = [dict(type='LogNoteHook', note=_base_.noclip_note)]
