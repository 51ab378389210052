"""Data sets and the common split: every model of a run sees exactly the same arrays."""

from mnistbench.data.catalogue import DATASET_NAMES, DEFAULT_DATASET
from mnistbench.data.dataset import Dataset, DatasetInfo
from mnistbench.data.load import list_datasets, load_dataset
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
