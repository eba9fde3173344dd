"""Mewo Tag Lab core: data, taxonomy, demo catalogue, thresholds, metrics, models, artifacts, CLI.

UI-free: nothing here imports streamlit.
"""

__version__ = "0.1.0"
