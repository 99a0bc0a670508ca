#!/usr/bin/env python3
"""Loads the model `swift run -c release mnist` saved into PyTorch's LeNet-5 (the class the README
shows) and prints its test accuracy on the same files, which should be the accuracy Descent
printed. Needs torch, numpy and safetensors (python3 -m pip install torch numpy safetensors).

    python3 Scripts/check_mnist_model.py lenet5.safetensors [Data/digits]
"""
import gzip
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def idx(path):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data[4 + 4 * rank:], dtype=np.uint8).reshape(dims)


if __name__ == "__main__":
    model_path = sys.argv[1]
    root = sys.argv[2] if len(sys.argv) > 2 else "Data/digits"
    model = LeNet5()
    model.load_state_dict(load_file(model_path))
    model.eval()
    images = torch.tensor(idx(f"{root}/t10k-images-idx3-ubyte.gz")).float().div(255).unsqueeze(1)
    labels = torch.tensor(idx(f"{root}/t10k-labels-idx1-ubyte.gz")).long()
    with torch.no_grad():
        correct = (model(images).argmax(1) == labels).sum().item()
    print(f"PyTorch's LeNet-5 with the saved weights: test accuracy {100 * correct / len(labels):.2f}% ({correct}/{len(labels)})")
