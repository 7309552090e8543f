"""Plain-Python reference arithmetic for the loss tests: lists and ``math``, independent of torch's kernels."""
import math

import torch


def n_params(module) -> int:
    return sum(p.numel() for p in module.parameters())


def dot(u, v):
    return sum(a * b for a, b in zip(u, v))


def unit(u):
    n = math.sqrt(dot(u, u))
    return [a / n for a in u]


def softmax(xs):
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    return [v / sum(e) for v in e]


def kl(p, q):
    """KL(p ‖ q) of two probability lists."""
    return sum(a * math.log(a / b) for a, b in zip(p, q))


def kl_logits(z_p, z_q):
    """KL(softmax(z_p) ‖ softmax(z_q))."""
    return kl(softmax(z_p), softmax(z_q))


def pixels(values):
    """[[k logits] per pixel] -> 1×K×1×N."""
    return torch.tensor(values).t()[None, :, None, :]
