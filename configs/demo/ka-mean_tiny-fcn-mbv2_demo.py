# The KA demo pair with the adaptation loss's element-mean reading (the L1 norm divided by the 256 channels, as
# torchdistill's element mean) at the same beta = 50: the alternative of issue 25's L_adapt scale question. Everything
# else as ./ka_tiny-fcn-mbv2_demo.py.
_base_ = ['./ka_tiny-fcn-mbv2_demo.py']
model = dict(distill_losses=dict(loss_adapt=dict(channel_reduction='mean')))
