"""Training speed of nncore against scikit-learn's MLPClassifier and PyTorch (CPU).

The same MLP (ReLU hidden layers, SGD with momentum 0.9, no Nesterov, no L2) is trained
on the same float32 data by every library, interleaved in one process over several
repetitions. Printed per workload: median seconds per epoch, the ratio nncore/sklearn
(and nncore/torch), and achieved GFLOP/s next to what numpy's own float32 matmul
reaches on exactly the matmuls of one epoch.

    python benchmarks/bench_nncore.py            # all workloads
    python benchmarks/bench_nncore.py --quick    # fewer repetitions

Workloads (issue 2): W1 admissions 400x6, hidden [8], full batch; W2 blobs 10,000x2,
3 classes, hidden [32, 32], batch 64; W3 50,000x100, 10 classes, hidden [256, 256],
batch 256.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import nncore

ROOT = Path(__file__).resolve().parents[1]
ADMISSIONS_CSV = ROOT / "experiments" / "data" / "student_admissions.csv"


@dataclass
class Workload:
    name: str
    X: np.ndarray
    y: np.ndarray
    hidden: tuple[int, ...]
    batch_size: int
    epochs: int
    lr: float

    @property
    def n_classes(self) -> int:
        return int(self.y.max()) + 1

    @property
    def layer_sizes(self) -> list[int]:
        out = 1 if self.n_classes == 2 else self.n_classes
        return [self.X.shape[1], *self.hidden, out]

    def flops_per_epoch(self) -> float:
        """Multiply-adds x 2: forward, weight gradients, and input gradients past layer 1."""
        n = self.X.shape[0]
        sizes = self.layer_sizes
        per_layer = [a * b for a, b in itertools.pairwise(sizes)]
        return 2.0 * n * (2 * sum(per_layer) + sum(per_layer[1:]))


def admissions() -> tuple[np.ndarray, np.ndarray]:
    raw = np.loadtxt(ADMISSIONS_CSV, delimiter=",", skiprows=1)
    admit, gre, gpa, rank = raw.T
    ranks = np.eye(4)[rank.astype(int) - 1]
    X = np.column_stack([gre / 800, gpa / 4.0, ranks]).astype(np.float32)
    return X, admit.astype(np.intp)


def workloads(quick: bool) -> list[Workload]:
    from sklearn.datasets import make_blobs

    X1, y1 = admissions()
    X2, y2 = make_blobs(n_samples=10_000, n_features=2, centers=3, random_state=0)
    X3, y3 = make_blobs(n_samples=50_000, n_features=100, centers=10, cluster_std=8.0,
                        random_state=0)
    return [
        Workload("W1 admissions 400x6 [8] full batch", X1, y1, (8,), 400, 300 if quick else 1000,
                 0.1),
        Workload("W2 blobs 10000x2 [32,32] batch 64", X2.astype(np.float32), y2, (32, 32), 64,
                 3 if quick else 6, 0.01),
        Workload("W3 50000x100 [256,256] batch 256", X3.astype(np.float32), y3, (256, 256), 256,
                 1 if quick else 2, 0.01),
    ]


def time_nncore(w: Workload, seed: int) -> float:
    sizes = w.layer_sizes
    layers = [nncore.Dense(a, b, "relu") for a, b in itertools.pairwise(sizes[:-1])]
    layers.append(nncore.Dense(sizes[-2], sizes[-1], "sigmoid" if sizes[-1] == 1 else "softmax"))
    model = nncore.Sequential(layers, seed=seed)
    start = time.perf_counter()
    model.fit(w.X, w.y, optimizer=nncore.SGD(lr=w.lr, momentum=0.9), epochs=w.epochs,
              batch_size=w.batch_size, shuffle=True)
    elapsed = time.perf_counter() - start
    assert model.dtype == np.float32, "the benchmark must train in float32"
    return elapsed / w.epochs


def time_sklearn(w: Workload, seed: int) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=w.hidden, activation="relu", solver="sgd",
                        learning_rate_init=w.lr, momentum=0.9, nesterovs_momentum=False,
                        alpha=0.0, tol=0.0, batch_size=w.batch_size, max_iter=w.epochs,
                        n_iter_no_change=w.epochs + 1, shuffle=True, random_state=seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(w.X, w.y)
    return (time.perf_counter() - start) / w.epochs


def time_torch(w: Workload, seed: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(seed)
    sizes = w.layer_sizes
    modules: list = []
    for a, b in itertools.pairwise(sizes[:-1]):
        modules += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    modules.append(torch.nn.Linear(sizes[-2], sizes[-1]))
    net = torch.nn.Sequential(*modules)
    binary = sizes[-1] == 1
    loss_fn = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=w.lr, momentum=0.9)
    X = torch.from_numpy(w.X)
    y = torch.from_numpy(w.y.astype(np.float32)[:, None]) if binary else torch.from_numpy(w.y)
    n = X.shape[0]
    start = time.perf_counter()
    for _ in range(w.epochs):
        order = torch.randperm(n)
        Xs, ys = X[order], y[order]
        for s in range(0, n, w.batch_size):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(Xs[s : s + w.batch_size]), ys[s : s + w.batch_size])
            loss.backward()
            opt.step()
    return (time.perf_counter() - start) / w.epochs


def numpy_matmul_gflops(w: Workload, repeats: int = 3) -> float:
    """GFLOP/s of numpy float32 matmul on exactly one epoch's matmul shapes."""
    rng = np.random.default_rng(0)
    sizes, bs, n = w.layer_sizes, w.batch_size, w.X.shape[0]
    Ws = [rng.standard_normal((a, b)).astype(np.float32) for a, b in itertools.pairwise(sizes)]
    acts = [rng.standard_normal((bs, s)).astype(np.float32) for s in sizes]
    outs = [np.empty((bs, s), np.float32) for s in sizes]
    grads = [np.empty_like(W) for W in Ws]
    batches = -(-n // bs)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(batches):
            for i, W in enumerate(Ws):
                np.matmul(acts[i], W, out=outs[i + 1])
            for i in range(len(Ws) - 1, -1, -1):
                np.matmul(acts[i].T, acts[i + 1], out=grads[i])
                if i:
                    np.matmul(acts[i + 1], Ws[i].T, out=outs[i])
        best = min(best, time.perf_counter() - start)
    return w.flops_per_epoch() / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and epochs")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 5)
    import sklearn

    try:
        import torch

        torch.set_num_threads(2)
        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    print(f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, torch {torch_version}, "
          f"nncore {nncore.__version__}; {repeats} interleaved repetitions, median s/epoch")
    for w in workloads(args.quick):
        times: dict[str, list[float]] = {"nncore": [], "sklearn": [], "torch": []}
        for rep in range(repeats):
            times["nncore"].append(time_nncore(w, rep))
            times["sklearn"].append(time_sklearn(w, rep))
            t = time_torch(w, rep)
            if t is not None:
                times["torch"].append(t)
        med = {k: statistics.median(v) for k, v in times.items() if v}
        flops = w.flops_per_epoch()
        print(f"\n{w.name} ({w.epochs} epochs per repetition)")
        for lib, t in med.items():
            print(f"  {lib:8s} {t * 1e3:10.3f} ms/epoch  {flops / t / 1e9:7.2f} GFLOP/s")
        print(f"  ratio nncore/sklearn = {med['nncore'] / med['sklearn']:.2f}")
        if "torch" in med:
            print(f"  ratio nncore/torch   = {med['nncore'] / med['torch']:.2f}")
        ref = numpy_matmul_gflops(w)
        print(f"  numpy float32 matmul on this epoch's shapes: {ref:.2f} GFLOP/s; nncore reaches "
              f"{flops / med['nncore'] / 1e9 / ref:.0%} of it")


if __name__ == "__main__":
    main()
