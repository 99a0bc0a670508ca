#!/usr/bin/env python3
"""Tables scikit-learn ships, as CSV files, and its LogisticRegression fits of them, for the
classification tests of `descent fit` (Tests/DescentTests/Fixtures/fit/).

    python3 -m pip install scikit-learn && python3 Scripts/make_fit_fixtures.py

Descent's `--l2 λ` minimises the mean log-loss plus λ/2 |W|^2, which is scikit-learn's
C = 1 / (n λ). Coefficients are written in the data's units (standardized fits converted back),
and for more than two classes with the classes' rows and intercepts centred (the solution
Descent reports; the probabilities do not depend on it).
"""
import json
import os

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn import metrics

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "DescentTests", "Fixtures", "fit")
os.makedirs(out, exist_ok=True)


def write_csv(name, x, feature_names, labels):
    path = os.path.join(out, name + ".csv")
    with open(path, "w") as f:
        f.write(",".join(feature_names + ["label"]) + "\n")
        for row, label in zip(x, labels):
            f.write(",".join(repr(float(v)) for v in row) + "," + str(label) + "\n")


def fit(x, y, l2, standardize):
    n = x.shape[0]
    mean, std = x.mean(axis=0), x.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    xs = (x - mean) / std if standardize else x
    model = LogisticRegression(C=1 / (n * l2), solver="newton-cholesky", tol=1e-14, max_iter=1000)
    model.fit(xs, y)
    w, b = model.coef_, model.intercept_
    if standardize:
        w = w / std
        b = b - w @ mean
    if w.shape[0] > 1:
        w = w - w.mean(axis=0)
        b = b - b.mean()
    proba = model.predict_proba(xs)
    predicted = proba.argmax(axis=1)
    p, r, f, support = metrics.precision_recall_fscore_support(y, predicted, zero_division=0)
    scores = {
        "accuracy": metrics.accuracy_score(y, predicted),
        "balanced_accuracy": metrics.balanced_accuracy_score(y, predicted),
        "log_loss": metrics.log_loss(y, proba),
        "precision": p.tolist(), "recall": r.tolist(), "f1": f.tolist(), "support": support.tolist(),
        "macro_f1": metrics.f1_score(y, predicted, average="macro"),
        "weighted_f1": metrics.f1_score(y, predicted, average="weighted"),
        "confusion": metrics.confusion_matrix(y, predicted).tolist(),
        "roc_auc": metrics.roc_auc_score(y, proba[:, 1]) if proba.shape[1] == 2
        else metrics.roc_auc_score(y, proba, multi_class="ovr"),
    }
    return {"weights": w.tolist(), "bias": b.tolist(), "probabilities": proba.tolist(), "metrics": scores}


cases = []
names = lambda data: [n.replace(" ", "_").replace("/", "_") for n in data.feature_names]

iris = load_iris()
labels = [iris.target_names[t] for t in iris.target]
write_csv("iris", iris.data, names(iris), labels)
for l2, standardize in [(0.01, False), (0.001, True)]:
    cases.append({"table": "iris", "classes": list(iris.target_names), "l2": l2, "standardize": standardize,
                  **fit(iris.data, iris.target, l2, standardize)})

wine = load_wine()
write_csv("wine", wine.data, names(wine), list(wine.target))
cases.append({"table": "wine", "classes": ["0", "1", "2"], "l2": 0.1, "standardize": True,
              **fit(wine.data, wine.target, 0.1, True)})

cancer = load_breast_cancer()
labels = [cancer.target_names[t] for t in cancer.target]
write_csv("breast_cancer", cancer.data, names(cancer), labels)
# Class order is sorted label text, as Descent orders text labels: benign, malignant.
order = sorted(cancer.target_names)
y = np.array([order.index(label) for label in labels])
for l2, standardize in [(0.01, True), (0.1, False)]:
    cases.append({"table": "breast_cancer", "classes": order, "l2": l2, "standardize": standardize,
                  **fit(cancer.data, y, l2, standardize)})

# The regression table of the "small tables stay fast" check (442 rows, 10 features).
diabetes = load_diabetes(scaled=False)
with open(os.path.join(out, "diabetes.csv"), "w") as f:
    f.write(",".join(diabetes.feature_names + ["progression"]) + "\n")
    for row, target in zip(diabetes.data, diabetes.target):
        f.write(",".join(repr(float(v)) for v in row) + "," + repr(float(target)) + "\n")

with open(os.path.join(out, "sklearn_logistic.json"), "w") as f:
    json.dump({"cases": cases}, f)
print("wrote", len(cases), "cases to", out)
