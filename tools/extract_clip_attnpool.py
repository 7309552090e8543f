"""Extracts CLIP RN101's ``visual.attnpool`` weights (the frozen linguistic head of C2VKD) from a file you have.

    python tools/extract_clip_attnpool.py /path/to/RN101.pt checkpoints/clip_rn101_attnpool.pth

The input is OpenAI's CLIP ``RN101.pt`` (a TorchScript archive, fp16) or any torch state dict holding
``visual.attnpool.*`` keys (e.g. an open_clip / HF-converted RN101 state dict). Nothing is downloaded. The output is a
plain fp32 state dict with CLIP's key names (``positional_embedding``, ``{k,q,v,c}_proj.{weight,bias}``; ≈13.7 M
parameters, ≈52 MiB), written atomically, which ``CLIPAttentionPool2d(attnpool_ckpt=...)`` reads.
"""
import argparse
import hashlib
import os.path as osp
import sys

import torch

# sha256 of OpenAI's RN101.pt (the hash is part of OpenAI's download path for it).
RN101_SHA256 = '8fa8567bab74a42d41c5915025a8e4538c3bdbe8804a470a72f30b0d94fab599'


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def read_state(path: str) -> dict:
    """State dict of a TorchScript archive (OpenAI's CLIP files) or of a torch checkpoint."""
    try:
        return torch.jit.load(path, map_location='cpu').state_dict()
    except Exception:  # not TorchScript: an ordinary checkpoint
        pass
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:
        raise ValueError(f'"{path}" is neither a TorchScript archive nor a torch state dict: {err}') from None


def extract(src: str, out: str) -> dict:
    """Writes the attention pool of ``src`` to ``out``; returns ``{'embed_dim', 'output_dim', 'grid', 'rn101'}``."""
    from mmseg_transkd.models.connectors.c2vkd import ATTNPOOL_KEYS, ATTNPOOL_PREFIXES, check_attnpool_state
    from mmseg_transkd.utils.export import atomic_save
    if not osp.isfile(src):
        raise FileNotFoundError(f'input "{src}" not found: pass the CLIP RN101 checkpoint file you have.')
    state = read_state(src)
    state = state.get('state_dict', state) if isinstance(state, dict) else state
    prefix = next((p for p in ATTNPOOL_PREFIXES if isinstance(state, dict) and f'{p}c_proj.weight' in state), None)
    if prefix is None:
        raise ValueError(f'"{src}" has no CLIP attention pool (no key among '
                         f'{[p + "c_proj.weight" for p in ATTNPOOL_PREFIXES]}).')
    output_dim, embed_dim = state[prefix + 'c_proj.weight'].shape
    pool = check_attnpool_state(state, embed_dim, output_dim, f'"{src}"')
    assert set(pool) == set(ATTNPOOL_KEYS)
    atomic_save({k: v.contiguous() for k, v in pool.items()}, out)  # nothing is left half-written
    grid = int(round((pool['positional_embedding'].shape[0] - 1) ** 0.5))
    return dict(embed_dim=embed_dim, output_dim=output_dim, grid=grid, rn101=(embed_dim, output_dim) == (2048, 512))


def main() -> None:
    parser = argparse.ArgumentParser(description="Extract CLIP RN101's visual.attnpool weights for C2VKD.")
    parser.add_argument('src', help='CLIP checkpoint you have (OpenAI RN101.pt or a state dict with visual.attnpool.*)')
    parser.add_argument('out', help='output .pth (e.g. checkpoints/clip_rn101_attnpool.pth)')
    args = parser.parse_args()
    try:
        info = extract(args.src, args.out)
    except Exception as err:
        sys.exit(f'extract_clip_attnpool: {err}')
    digest = sha256(args.src)
    print(f'wrote {args.out}: attention pool {info["embed_dim"]} -> {info["output_dim"]}, positional grid '
          f'{info["grid"]}x{info["grid"]} (+1); input sha256 {digest}')
    if not info['rn101']:
        print('warning: not CLIP RN101 sizes (2048 -> 512); C2VKD\'s configs expect RN101.')
    elif digest != RN101_SHA256:
        print(f'note: the input is not OpenAI\'s RN101.pt (sha256 {RN101_SHA256}); fine for a converted copy.')


if __name__ == '__main__':
    main()
