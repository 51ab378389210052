"""Data sets and the common split: every model of a run sees exactly the same arrays."""

from mnistbench.data.sources import (
    DATASET_NAMES,
    DEFAULT_DATASET,
    Dataset,
    DatasetInfo,
    list_datasets,
    load_dataset,
)
from mnistbench.data.split import Split, make_split

__all__ = [
    "DATASET_NAMES",
    "DEFAULT_DATASET",
    "Dataset",
    "DatasetInfo",
    "Split",
    "list_datasets",
    "load_dataset",
    "make_split",
]
