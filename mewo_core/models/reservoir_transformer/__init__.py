"""The reservoir-transformer: the seed's ELM reservoirs and Transformer, finished.

``model.py`` (the estimator and its parameter spec), ``input_transform.py`` (clipped logit then
standardisation), ``reservoirs.py`` (ELM reservoirs and the feature partition),
``token_layout.py`` (the variants' tokens), ``transformer.py`` (the network), ``training.py``
(its torch training loop), ``blending.py`` (per-tag keep-or-fall-back choice).
"""

from .model import ReservoirTransformer

__all__ = ["ReservoirTransformer"]
