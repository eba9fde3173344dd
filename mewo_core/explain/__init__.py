"""Explanations of tag decisions: decision paths, attributions, what-if and relation maps.

- :mod:`.adapter`: the one place that reads a fitted reservoir-transformer's internals;
- :mod:`.attribution`: Integrated Gradients (Captum) of the learned correction, with
  completeness, and a vectorised form of the same integral for many tags at once;
- :mod:`.path`: per tag, the decision path and where its threshold came from;
- :mod:`.whatif`: edited input scores, every decision recomputed;
- :mod:`.relations`: the global relation map beside the data's own structure;
- :mod:`.plots`: Plotly figures (pure functions).
"""
