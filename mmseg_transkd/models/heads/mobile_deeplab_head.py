"""The DeepLab head of TF-DeepLab's MobileNetV2 models, which Knowledge Adaptation's student builds on (He et al.,
CVPR 2019, arXiv 1903.04688: MobileNetV2 "without ASPP and decoder, exactly as in the MobileNetV2 paper")."""
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads import ASPPHead
from mmseg.registry import MODELS


@MODELS.register_module()
class MobileDeepLabHead(ASPPHead):
    """DeepLabV3's ASPP reduced to what TF-DeepLab keeps for MobileNetV2 (no atrous branches):

    * an image-pooling branch: global average pooling, 1×1 conv C_in→256 + BN + ReLU, broadcast back to the grid;
    * a 1×1 conv branch C_in→256 + BN + ReLU;
    * the two concatenated (512 channels) and projected by a 1×1 conv 512→256 + BN + ReLU (``bottleneck``; TF-DeepLab's
      ``concat_projection``), then dropout 0.1 and the 1×1 classifier ``conv_seg`` (with bias).

    It is mmseg's :class:`ASPPHead` with ``dilations=(1,)`` and a 1×1 ``bottleneck`` (mmseg's is 3×3). The 256-channel
    ``bottleneck`` output is the student's last feature φ_s in KA (recorded before the dropout).

    [I] From TF-DeepLab's defaults for MobileNetV2 (``aspp_with_batch_norm``, ``add_image_level_feature``, no
    ``atrous_rates``, 256 filters, dropout keep-probability 0.9 after the projection, 1×1 logits); the image pooling
    is global (TF pools over the training crop's feature grid, the same at the fixed crop size).

    Args:
        channels (int): Branch and projection width. Use 256 (TF-DeepLab's ``aspp_convs_filters``).
        **kwargs: :class:`~mmseg.models.decode_heads.decode_head.BaseDecodeHead` arguments; ``dilations`` is fixed.
    """

    def __init__(self, **kwargs) -> None:
        if 'dilations' in kwargs:
            raise ValueError('MobileDeepLabHead: dilations is fixed to (1,) (a single 1x1 branch); use ASPPHead for '
                             'atrous branches.')
        super().__init__(dilations=(1, ), **kwargs)
        self.bottleneck = ConvModule(2 * self.channels, self.channels, 1, conv_cfg=self.conv_cfg,
                                     norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
