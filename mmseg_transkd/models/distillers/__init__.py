from .distill_segmentor import DistillSegmentor
from .recipes import RECIPES, expand_recipe, recipe_names, resolve_recipe

__all__ = ['DistillSegmentor', 'RECIPES', 'expand_recipe', 'recipe_names', 'resolve_recipe']
