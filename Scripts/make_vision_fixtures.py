#!/usr/bin/env python3
"""PyTorch's numbers for the vision layers and training runs Descent's VisionTests compare with.

Run from the repository root with PyTorch and safetensors installed
(python3 -m pip install torch numpy safetensors):

    python3 Scripts/make_vision_fixtures.py

Writes Tests/DescentTests/Fixtures/vision.json and safetensors files under
Tests/DescentTests/Fixtures/vision/: layer initialisations under fixed seeds, LeNet-5 trained 20
SGD-with-momentum steps and a ResNet basic block 20 Adam steps from saved initial states (with
every step's loss and the final parameters and running statistics), and one adversarial DCGAN
step.
"""
import json
import math
import os

for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_name] = "1"

import torch
from safetensors.torch import save_file

torch.set_num_threads(1)
nn = torch.nn
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "DescentTests", "Fixtures")
FILES = os.path.join(OUT, "vision")


def values(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def save(name, tensors):
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, os.path.join(FILES, name), metadata={"format": "pt"})


def initialisations():
    """Each layer built right after torch.manual_seed(seed), as its state dict."""
    cases = {}

    def add(name, seed, make):
        torch.manual_seed(seed)
        module = make()
        cases[name] = {k: {"shape": list(v.shape), "values": values(v)} for k, v in module.state_dict().items()}

    add("conv1d", 0, lambda: nn.Conv1d(3, 4, 3))
    add("conv2d", 1, lambda: nn.Conv2d(1, 6, 5, padding=2))
    add("conv2d_groups_nobias", 2, lambda: nn.Conv2d(4, 6, (3, 2), groups=2, bias=False))
    add("conv3d", 3, lambda: nn.Conv3d(2, 3, 2))
    add("conv_transpose1d", 4, lambda: nn.ConvTranspose1d(3, 2, 4))
    add("conv_transpose2d", 5, lambda: nn.ConvTranspose2d(4, 6, 3, groups=2))
    add("batch_norm2d", 6, lambda: nn.BatchNorm2d(3))
    add("prelu", 7, lambda: nn.PReLU(3))

    def init_cases():
        out = {}
        for name, fn, shape in [
            ("kaiming_uniform", lambda w: nn.init.kaiming_uniform_(w), (8, 5)),
            ("kaiming_uniform_relu_fan_out", lambda w: nn.init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu"), (4, 3, 3, 3)),
            ("kaiming_normal", lambda w: nn.init.kaiming_normal_(w, a=0.2), (6, 4, 2)),
            ("xavier_uniform", lambda w: nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("tanh")), (5, 7)),
            ("xavier_normal", lambda w: nn.init.xavier_normal_(w), (4, 6, 3)),
            ("trunc_normal", lambda w: nn.init.trunc_normal_(w, mean=0.5, std=2.0, a=-1.0, b=3.0), (6, 5)),
            ("trunc_normal_tail", lambda w: nn.init.trunc_normal_(w, mean=0.0, std=1.0, a=2.0, b=3.0), (7, 5)),
            ("orthogonal", lambda w: nn.init.orthogonal_(w, gain=2.0), (4, 6)),
            ("orthogonal_tall", lambda w: nn.init.orthogonal_(w), (6, 2, 2)),
        ]:
            torch.manual_seed(11)
            w = torch.empty(shape)
            fn(w)
            out[name] = {"shape": list(shape), "values": values(w)}
        return out

    return cases, init_cases()


def padding_modes_and_cumulative_norm():
    """Conv2d's padding modes (forward from a fixed input), and BatchNorm2d with momentum=None
    (a cumulative average) over three training batches."""
    out = {}
    g = torch.Generator().manual_seed(50)
    x = torch.randn(2, 2, 5, 6, generator=g)
    out["padding_input"] = {"shape": list(x.shape), "values": values(x)}
    for mode in ["zeros", "reflect", "replicate", "circular"]:
        torch.manual_seed(51)
        conv = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode)
        out["padding_" + mode] = {"shape": list(conv(x).shape), "values": values(conv(x))}
    bn = nn.BatchNorm2d(3, momentum=None)
    for _ in range(3):
        bn(torch.randn(4, 3, 2, 2, generator=g) * 2 + 1)
    out["cumulative_mean"] = {"shape": [3], "values": values(bn.running_mean)}
    out["cumulative_var"] = {"shape": [3], "values": values(bn.running_var)}
    return out


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def train_lenet():
    torch.manual_seed(20)
    net = lenet()
    save("lenet_init.safetensors", net.state_dict())
    g = torch.Generator().manual_seed(21)
    x = torch.rand(20, 8, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (20, 8), generator=g)
    save("lenet_data.safetensors", {"x": x, "y": y})
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    lossf = nn.CrossEntropyLoss()
    losses = []
    for step in range(20):
        opt.zero_grad()
        loss = lossf(net(x[step]), y[step])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    save("lenet_final.safetensors", net.state_dict())
    return losses


class BasicBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        return torch.relu(self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))) + x)


def train_resnet_block():
    torch.manual_seed(30)
    block = BasicBlock(8)
    save("resnet_block_init.safetensors", block.state_dict())
    g = torch.Generator().manual_seed(31)
    x = torch.randn(20, 4, 8, 8, 8, generator=g)
    save("resnet_block_data.safetensors", {"x": x})
    opt = torch.optim.Adam(block.parameters(), lr=1e-3)
    losses = []
    for step in range(20):
        opt.zero_grad()
        loss = (block(x[step]) - 0.5).square().mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    save("resnet_block_final.safetensors", block.state_dict())
    return losses


def dcgan():
    nz = 8

    def weights_init(m):
        name = m.__class__.__name__
        if name.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif name.find("BatchNorm") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    torch.manual_seed(40)
    generator = nn.Sequential(
        nn.ConvTranspose2d(nz, 16, 4, 1, 0, bias=False), nn.BatchNorm2d(16), nn.ReLU(True),
        nn.ConvTranspose2d(16, 8, 4, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(True),
        nn.ConvTranspose2d(8, 1, 4, 2, 1, bias=False), nn.Tanh())
    generator.apply(weights_init)
    discriminator = nn.Sequential(
        nn.Conv2d(1, 8, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(8, 16, 4, 2, 1, bias=False), nn.BatchNorm2d(16), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(16, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    discriminator.apply(weights_init)
    save("dcgan_generator_init.safetensors", generator.state_dict())
    save("dcgan_discriminator_init.safetensors", discriminator.state_dict())
    g = torch.Generator().manual_seed(41)
    real = torch.rand(6, 1, 16, 16, generator=g) * 2 - 1
    noise = torch.randn(6, nz, 1, 1, generator=g)
    save("dcgan_data.safetensors", {"real": real, "noise": noise})
    criterion = nn.BCELoss()
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    discriminator.zero_grad()
    out_real = discriminator(real).view(-1)
    err_real = criterion(out_real, torch.ones(6))
    err_real.backward()
    fake = generator(noise)
    out_fake = discriminator(fake.detach()).view(-1)
    err_fake = criterion(out_fake, torch.zeros(6))
    err_fake.backward()
    err_d = err_real + err_fake
    opt_d.step()
    generator.zero_grad()
    out = discriminator(fake).view(-1)
    err_g = criterion(out, torch.ones(6))
    err_g.backward()
    opt_g.step()
    save("dcgan_generator_final.safetensors", generator.state_dict())
    save("dcgan_discriminator_final.safetensors", discriminator.state_dict())
    return {"err_d": err_d.item(), "err_g": err_g.item(), "d_x": out_real.mean().item(), "d_g_z1": out_fake.mean().item(),
            "d_g_z2": out.mean().item()}


def digits():
    """Facts of the shipped Data/digits files the readers must reproduce."""
    import gzip
    root = os.path.join(HERE, "..", "Data", "digits")

    def idx(name):
        data = gzip.decompress(open(os.path.join(root, name), "rb").read())
        rank = data[3]
        dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
        return dims, data[4 + 4 * rank:]

    dims, pixels = idx("train-images-idx3-ubyte.gz")
    _, labels = idx("train-labels-idx1-ubyte.gz")
    test_dims, test_pixels = idx("t10k-images-idx3-ubyte.gz")
    image = torch.tensor(list(pixels[:784]), dtype=torch.float32).div(255)
    return {"train_shape": dims, "test_shape": test_dims, "train_pixel_sum": sum(pixels), "test_pixel_sum": sum(test_pixels),
            "first_labels": list(labels[:10]), "first_image_sum": float(image.sum()), "first_image_max": float(image.max())}


if __name__ == "__main__":
    os.makedirs(FILES, exist_ok=True)
    layers, inits = initialisations()
    payload = {
        "_generated": "by Scripts/make_vision_fixtures.py; do not edit",
        "layers": layers,
        "init": inits,
        "lenet_losses": train_lenet(),
        "resnet_block_losses": train_resnet_block(),
        "dcgan": dcgan(),
        "digits": digits(),
        "padding_and_norm": padding_modes_and_cumulative_norm(),
    }
    with open(os.path.join(OUT, "vision.json"), "w") as f:
        json.dump(payload, f, indent=1)
    print("wrote vision.json and", sorted(os.listdir(FILES)))
