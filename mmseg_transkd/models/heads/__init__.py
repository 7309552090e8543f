from .official_segformer_head import OfficialSegformerHead

__all__ = ['OfficialSegformerHead']
