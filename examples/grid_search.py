"""Grid search with the scikit-learn estimator: nncore in Pipeline and GridSearchCV.

What this teaches:

1. ``nncore.sklearn.NeuralNetClassifier`` is a scikit-learn estimator: it takes
   ``MLPClassifier``'s parameters and works in ``Pipeline``, ``cross_val_score`` and
   ``GridSearchCV`` like any other.
2. Choosing the architecture and the learning rate by cross-validation, with the scaler
   inside the pipeline so each fold is scaled with its own training statistics (scaling
   before splitting leaks the validation folds into training).
3. Reading ``ConvergenceWarning``: a fit that was still improving when it hit
   ``max_iter`` (here, the small learning rate) is scored before it has finished.
4. Judging the chosen model once, on a test set the search never saw.

Run it with ``python examples/grid_search.py``.
"""

from __future__ import annotations

import warnings

import pandas as pd
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nncore.sklearn import NeuralNetClassifier


def main() -> None:
    """Search hidden_layer_sizes x learning_rate_init on the two moons."""
    X, y = make_moons(n_samples=400, noise=0.25, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

    pipeline = make_pipeline(
        StandardScaler(),
        NeuralNetClassifier(activation="tanh", max_iter=200, batch_size=32, random_state=0),
    )
    grid = {
        "neuralnetclassifier__hidden_layer_sizes": [(2,), (16,), (16, 16)],
        "neuralnetclassifier__learning_rate_init": [0.001, 0.01],
    }
    search = GridSearchCV(pipeline, grid, cv=3, n_jobs=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        search.fit(X_train, y_train)
    unconverged = sum(issubclass(w.category, ConvergenceWarning) for w in caught)

    results = pd.DataFrame(search.cv_results_)[
        ["param_neuralnetclassifier__hidden_layer_sizes",
         "param_neuralnetclassifier__learning_rate_init", "mean_test_score", "rank_test_score"]
    ]
    results.columns = ["hidden_layer_sizes", "learning_rate_init", "mean CV accuracy", "rank"]
    print(results.sort_values("rank").to_string(index=False))
    n_fits = len(results) * search.n_splits_ + 1
    print(f"{unconverged} of {n_fits} fits were still improving after max_iter epochs "
          "(a ConvergenceWarning each: small learning rates need more epochs)")
    best = search.best_params_
    print(f"best: hidden_layer_sizes={best['neuralnetclassifier__hidden_layer_sizes']} "
          f"learning_rate_init={best['neuralnetclassifier__learning_rate_init']} "
          f"(CV accuracy {search.best_score_:.3f})")
    clf = search.best_estimator_[-1]
    print(f"the refitted network trained for {clf.n_iter_} epochs, final loss {clf.loss_:.4f}")
    print(f"test accuracy of the best pipeline: {search.score(X_test, y_test):.3f}")


if __name__ == "__main__":
    main()
