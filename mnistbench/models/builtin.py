"""The built-in entries. ``seed`` presets reproduce the teaching notebooks as written."""

from mnistbench.models.classical import KNNModel, LinearSVCModel, SGDModel
from mnistbench.models.deep import CNNModel, MLPModel, SoftmaxModel
from mnistbench.models.registry import ModelEntry, register

# What the notebook's three Keras models share: Adam at Keras's default rate, no schedule,
# exactly the epochs written, one optimiser step per call.
_KERAS_AS_WRITTEN = {"learning_rate": 1e-3, "schedule": "constant", "min_steps": 0,
                     "steps_per_execution": 1}

register(ModelEntry(
    "linear_svc", LinearSVCModel, "linear SVM (scikit-learn LinearSVC)",
    # dual=True was scikit-learn's default when the notebook was written.
    {"seed": {"C": 1.0, "max_iter": 1000, "dual": True, "tol": 1e-4}},
))
register(ModelEntry(
    "sgd", SGDModel, "linear model trained by SGD (scikit-learn SGDClassifier)",
    {"seed": {"loss": "hinge", "alpha": 1e-4, "max_iter": 5000, "tol": 1e-3, "n_jobs": -1,
              "average": False, "scale": False, "sparse": False,
              "learning_rate": "optimal", "eta0": 0.01}},
))
register(ModelEntry(
    "knn", KNNModel, "k nearest neighbours (scikit-learn KNeighborsClassifier)",
    {"seed": {"n_neighbors": 10, "metric": "manhattan", "weights": "uniform",
              "algorithm": "auto", "pca_components": 0}},
))
register(ModelEntry(
    "softmax", SoftmaxModel, "Keras: one Dense softmax layer (multinomial logistic regression)",
    {"seed": {**_KERAS_AS_WRITTEN, "zero_init": True, "l1": 1e-6, "epochs": 30,
              "batch_size": 512}},
))
register(ModelEntry(
    "mlp", MLPModel, "Keras: fully connected hidden layers",
    {"seed": {**_KERAS_AS_WRITTEN, "hidden_units": (128, 64), "activation": "sigmoid",
              "batch_norm": False, "dropout": 0.0, "epochs": 42, "batch_size": 256}},
))
register(ModelEntry(
    "cnn", CNNModel, "Keras: convolutional network",
    {"seed": {**_KERAS_AS_WRITTEN, "filters": (64,), "kernel_size": 15, "padding": "valid",
              "batch_norm": False, "dense_units": 0, "dropout": 0.0, "epochs": 20,
              "batch_size": 256}},
))
