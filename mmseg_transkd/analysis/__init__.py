"""Analysis tools that build and measure models: FLOPs and parameter counts (``flops``), step time and memory
(``benchmark``) and which recipes fit a student/teacher pair (``pair_check``).

They sit above ``models/`` (they build distillers and segmentors), so ``utils/`` stays free of model code. The
package is not imported by ``import mmseg_transkd``: it registers nothing, and the tools import it themselves.
"""
