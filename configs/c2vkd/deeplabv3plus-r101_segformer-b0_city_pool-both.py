# C2VKD with the competing reading of the linguistic path (issue 15): the official script passes the student's
# features, not only the teacher's, through the frozen attention pool. g_s = pool(F_s') with F_s' the visual
# adapter's 2048-channel output (gradient through the frozen pool), g_t = pool(layer4); no 512-d student adapter.
# The authors' pool checkpoint has a 16x16 (+1) positional embedding: a pool file with 16^2 + 1 positions is used as
# it is, CLIP RN101's 7^2 + 1 is resized to 16^2 + 1. Everything else as the B0 config.
_base_ = ['./deeplabv3plus-r101_segformer-b0_city.py']
model = dict(recipe='c2vkd_pool_both')
