"""Data in the challenge's shape: datasets, file loading, the taxonomy and every split."""

from .dataset import (
    DataBundle,
    Dataset,
    align_columns,
    check_same_columns,
    columns_or_neg_inf,
    row_max,
)
from .io import Source, load_folder, load_xy
from .splits import (
    Splits,
    SplitSpec,
    default_group_column,
    fold_of_groups,
    group_halves,
    group_kfold,
    group_labels,
    holdout_split,
    ids_digest,
    split_dataset,
)
from .tables import ID_COLUMN, read_table
from .taxonomy import Taxonomy

__all__ = [
    "ID_COLUMN",
    "DataBundle",
    "Dataset",
    "Source",
    "SplitSpec",
    "Splits",
    "Taxonomy",
    "align_columns",
    "check_same_columns",
    "columns_or_neg_inf",
    "row_max",
    "default_group_column",
    "fold_of_groups",
    "group_halves",
    "group_kfold",
    "group_labels",
    "holdout_split",
    "ids_digest",
    "load_folder",
    "load_xy",
    "read_table",
    "split_dataset",
]
