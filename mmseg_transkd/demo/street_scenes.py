"""Synthetic street scenes in the Cityscapes folder layout, for the quickstart and the tests.

Each scene is drawn back to front with Cityscapes train ids: sky, buildings with window textures, vegetation and
terrain, a road in perspective with lane marks, sidewalks, fences, then objects whose size grows towards the camera
(cars, buses, trucks, people, riders with bicycles or motorcycles), thin poles carrying traffic signs and lights, and an
ego-vehicle hood labelled 255 (ignore), as in Cityscapes. Colours are jittered per instance and textured, so a class is
not given away by its colour; nearer objects occlude farther ones. Everything is deterministic from the seed.

Files: ``leftImg8bit/{split}/{city}/{city}_{seq:06d}_{frame:06d}_leftImg8bit.png`` and
``gtFine/{split}/{city}/..._gtFine_labelTrainIds.png`` — read by mmseg's ``CityscapesDataset`` as they are; extra
scenes without labels in ``leftImg8bit/train_extra/`` (Cityscapes' layout for its extra images) and lists of the first k
training scenes (``splits/train_<k>.txt``, a few-label subset read through mmseg's ``ann_file``) on request.
"""
import os
import os.path as osp
from typing import Dict, Sequence, Tuple

import cv2
import numpy as np

ROAD, SIDEWALK, BUILDING, WALL, FENCE, POLE, LIGHT, SIGN, VEGETATION, TERRAIN, SKY, PERSON, RIDER, CAR, TRUCK, BUS, \
    TRAIN, MOTORCYCLE, BICYCLE = range(19)
IGNORE = 255
CITIES = {'train': ('aachen', 'bochum'), 'val': ('frankfurt',), 'train_extra': ('augsburg', 'bamberg')}
SPLIT_INDEX = {'train': 0, 'val': 1, 'train_extra': 2}  # the scenes' seed words: (seed, split index, image index)

# base colours (RGB) of the classes; every instance jitters them
BASE_RGB = {
    ROAD: (128, 64, 128), SIDEWALK: (200, 150, 200), BUILDING: (110, 100, 90), WALL: (150, 140, 120),
    FENCE: (170, 150, 130), POLE: (120, 120, 120), LIGHT: (230, 170, 40), SIGN: (220, 220, 30),
    VEGETATION: (70, 130, 40), TERRAIN: (150, 190, 100), SKY: (110, 160, 220), PERSON: (200, 60, 70),
    RIDER: (230, 40, 40), CAR: (30, 40, 150), TRUCK: (40, 70, 90), BUS: (40, 100, 120), TRAIN: (60, 90, 110),
    MOTORCYCLE: (20, 20, 200),
    BICYCLE: (120, 20, 40),
}


class _Canvas:
    def __init__(self, h: int, w: int, rng: np.random.Generator) -> None:
        self.h, self.w, self.rng = h, w, rng
        self.img = np.zeros((h, w, 3), np.float32)
        self.label = np.full((h, w), IGNORE, np.uint8)

    def colour(self, cls: int, spread: float = 35.0) -> np.ndarray:
        return np.clip(np.array(BASE_RGB[cls], np.float32) + self.rng.normal(0, spread, 3), 0, 255)

    def paint(self, mask: np.ndarray, cls: int, colour: np.ndarray, texture: float = 10.0) -> None:
        """Paints ``mask`` (bool h×w) with a textured colour and the class id (later paint occludes earlier)."""
        if not mask.any():
            return
        noise = self.rng.normal(0, texture, (int(mask.sum()), 1)).astype(np.float32)
        self.img[mask] = np.clip(colour[None] + noise, 0, 255)
        self.label[mask] = cls

    def poly(self, pts, cls: int, colour: np.ndarray, texture: float = 10.0) -> np.ndarray:
        mask = np.zeros((self.h, self.w), np.uint8)
        cv2.fillPoly(mask, [np.round(np.asarray(pts)).astype(np.int32)], 1)
        self.paint(mask.astype(bool), cls, colour, texture)
        return mask.astype(bool)

    def rect(self, x0, y0, x1, y1, cls: int, colour: np.ndarray, texture: float = 10.0) -> np.ndarray:
        return self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], cls, colour, texture)

    def ellipse(self, cx, cy, ax, ay, cls: int, colour: np.ndarray, texture: float = 10.0) -> np.ndarray:
        mask = np.zeros((self.h, self.w), np.uint8)
        cv2.ellipse(mask, (int(round(cx)), int(round(cy))), (max(1, int(ax)), max(1, int(ay))), 0, 0, 360, 1, -1)
        self.paint(mask.astype(bool), cls, colour, texture)
        return mask.astype(bool)


def _scene(h: int, w: int, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    c = _Canvas(h, w, rng)
    horizon = int(h * rng.uniform(0.38, 0.5))
    # sky: vertical gradient
    sky = np.zeros((h, w), bool)
    sky[:horizon] = True
    top, bottom = c.colour(SKY, 20), c.colour(SKY, 20) + 30
    ramp = np.linspace(0, 1, horizon, dtype=np.float32)[:, None, None]
    c.img[:horizon] = np.clip(top * (1 - ramp) + bottom * ramp, 0, 255)
    c.label[:horizon] = SKY
    # buildings: blocks of varying height along the horizon, with window grids
    x = int(rng.integers(-10, 5))
    while x < w:
        bw = int(rng.integers(w // 10, w // 4))
        bh = int(rng.integers(horizon // 3, horizon - 2))
        col = c.colour(BUILDING, 30)
        c.rect(x, horizon - bh, x + bw, horizon + 2, BUILDING, col, 6)
        win = col * rng.uniform(0.4, 0.7)
        step = int(rng.integers(5, 9))
        for wy in range(horizon - bh + 3, horizon - 3, step):
            for wx in range(x + 2, x + bw - 3, step):
                c.img[wy:wy + step // 2, wx:wx + step // 2] = win  # texture only, still BUILDING
        x += bw + int(rng.integers(0, 8))
    # trees: vegetation blobs on trunks
    for _ in range(int(rng.integers(1, 5))):
        tx, r = rng.uniform(0, w), rng.uniform(h * 0.06, h * 0.16)
        ty = horizon - rng.uniform(0, r)
        c.rect(tx - 1, ty, tx + 1, horizon + 4, VEGETATION, c.colour(VEGETATION) * 0.6, 4)
        c.ellipse(tx, ty, r, r * rng.uniform(0.7, 1.1), VEGETATION, c.colour(VEGETATION), 22)
    # ground: terrain on both sides, sidewalks, road in perspective
    c.rect(0, horizon, w, h, TERRAIN, c.colour(TERRAIN), 16)
    vx = w * rng.uniform(0.4, 0.6)
    half_far, half_near = w * 0.05, w * rng.uniform(0.45, 0.7)
    walk = w * rng.uniform(0.08, 0.18)
    c.poly([(vx - half_far - 6, horizon), (vx + half_far + 6, horizon), (vx + half_near + walk, h),
            (vx - half_near - walk, h)], SIDEWALK, c.colour(SIDEWALK, 20), 8)
    c.poly([(vx - half_far, horizon), (vx + half_far, horizon), (vx + half_near, h), (vx - half_near, h)], ROAD,
           c.colour(ROAD, 15), 9)
    for t0 in np.arange(0.05, 1.0, 0.16):  # dashed centre line: painted on the road, still ROAD
        y0, y1 = horizon + (h - horizon) * t0, horizon + (h - horizon) * min(t0 + 0.07, 1)
        c.img[int(y0):int(y1), int(vx - 1 - t0 * 2):int(vx + 1 + t0 * 2)] = 235

    def ground_x(side: float, t: float) -> float:
        """x of a point on the ground at depth t (0 horizon .. 1 bottom) and lateral position side (-1..1 road)."""
        return vx + side * (half_far + (half_near - half_far) * t)

    # fence or wall segment along one sidewalk
    if rng.random() < 0.6:
        cls = FENCE if rng.random() < 0.6 else WALL
        side = rng.choice([-1.0, 1.0])
        t0, t1 = sorted(rng.uniform(0.05, 0.7, 2))
        xs = [ground_x(side * 1.5, t) for t in (t0, t1)]
        ys = [horizon + (h - horizon) * t for t in (t0, t1)]
        hh = [4 + 18 * t for t in (t0, t1)]
        c.poly([(xs[0], ys[0] - hh[0]), (xs[1], ys[1] - hh[1]), (xs[1], ys[1]), (xs[0], ys[0])], cls,
               c.colour(cls), 14 if cls == FENCE else 5)
    # objects, far to near
    objects = []
    for _ in range(int(rng.integers(3, 9))):
        objects.append(('vehicle', rng.uniform(0.05, 0.9), rng.uniform(-0.8, 0.8)))
    for _ in range(int(rng.integers(1, 6))):
        objects.append(('person', rng.uniform(0.05, 0.9), rng.choice([-1.25, 1.25]) + rng.uniform(-0.1, 0.1)))
    for _ in range(int(rng.integers(2, 6))):
        objects.append(('pole', rng.uniform(0.0, 0.85), rng.choice([-1.4, 1.4]) + rng.uniform(-0.15, 0.15)))
    for kind, t, side in sorted(objects, key=lambda o: o[1]):
        gy, gx = horizon + (h - horizon) * t, ground_x(side, t)
        s = 0.12 + 0.88 * t  # scale with depth
        if kind == 'vehicle':
            r = rng.random()
            cls = CAR if r < 0.72 else (TRUCK if r < 0.84 else (BUS if r < 0.96 else TRAIN))
            vw = s * w * {CAR: 0.16, TRUCK: 0.2, BUS: 0.26, TRAIN: 0.34}[cls]
            vh = s * h * {CAR: 0.12, TRUCK: 0.2, BUS: 0.22, TRAIN: 0.22}[cls]
            col = np.clip(rng.uniform(0, 255, 3), 0, 255).astype(np.float32) if cls == CAR else c.colour(cls)
            c.rect(gx - vw / 2, gy - vh, gx + vw / 2, gy - vh * 0.15, cls, col, 8)
            c.rect(gx - vw * 0.35, gy - vh * 0.95, gx + vw * 0.35, gy - vh * 0.6, cls, col * 0.35 + 80, 4)  # glass
            for wx in (gx - vw * 0.3, gx + vw * 0.3):  # wheels
                c.ellipse(wx, gy - vh * 0.15, vh * 0.14, vh * 0.14, cls, np.full(3, 25, np.float32), 3)
        elif kind == 'person':
            ph = s * h * rng.uniform(0.18, 0.26)
            if rng.random() < 0.25:  # rider on a two-wheeler
                wheel_cls = BICYCLE if rng.random() < 0.6 else MOTORCYCLE
                c.ellipse(gx, gy - ph * 0.15, ph * 0.32, ph * 0.15, wheel_cls, c.colour(wheel_cls), 6)
                c.ellipse(gx, gy - ph * 0.55, ph * 0.1, ph * 0.28, RIDER, c.colour(RIDER), 10)
                c.ellipse(gx, gy - ph * 0.9, ph * 0.07, ph * 0.07, RIDER, c.colour(PERSON, 20) + 30, 5)
            else:
                c.ellipse(gx, gy - ph * 0.45, ph * 0.11, ph * 0.38, PERSON, c.colour(PERSON), 12)
                c.ellipse(gx, gy - ph * 0.9, ph * 0.08, ph * 0.08, PERSON, c.colour(PERSON, 20) + 40, 5)
        else:  # pole with a sign or a traffic light: thin structures
            ph = s * h * rng.uniform(0.45, 0.7)
            pw = max(1.0, s * 2.2)
            c.rect(gx - pw / 2, gy - ph, gx + pw / 2, gy, POLE, c.colour(POLE, 15), 4)
            if rng.random() < 0.55:
                ss = max(2.0, s * h * 0.06)
                if rng.random() < 0.5:
                    c.rect(gx - ss, gy - ph - ss * 1.5, gx + ss, gy - ph + ss * 0.5, SIGN, c.colour(SIGN, 25), 6)
                else:
                    c.poly([(gx - ss, gy - ph + ss * 0.5), (gx + ss, gy - ph + ss * 0.5), (gx, gy - ph - ss * 1.3)],
                           SIGN, c.colour(SIGN, 25), 6)
            else:
                lw, lh = max(1.5, s * h * 0.025), max(3.0, s * h * 0.07)
                c.rect(gx - lw, gy - ph - lh, gx + lw, gy - ph, LIGHT, c.colour(LIGHT, 30), 8)
    # ego-vehicle hood at the bottom: ignore, as in Cityscapes
    hood = int(h * rng.uniform(0.03, 0.07))
    c.poly([(0, h), (w * 0.15, h - hood), (w * 0.85, h - hood), (w, h)], IGNORE, np.full(3, 30, np.float32), 3)
    # global illumination and sensor noise
    img = c.img * rng.uniform(0.7, 1.2) + rng.normal(0, 4, c.img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), c.label


def make_street_scenes(root: str, n_train: int = 60, n_val: int = 20, size: Tuple[int, int] = (128, 256),
                       seed: int = 0, n_extra: int = 0, subsets: Sequence[int] = ()) -> Dict[str, int]:
    """Writes the dataset under ``root``; returns the number of images per split.

    Args:
        root: Dataset root (the config's ``data_root``).
        n_train, n_val: Images per split.
        size: (height, width) of every image, 1:2 like Cityscapes.
        seed: Scenes are a function of (seed, split, index) only.
        n_extra: Extra scenes without labels, in ``leftImg8bit/train_extra/<city>/`` like Cityscapes' 19,998 extra
            images (for distillation on unlabeled images, docs/unlabeled.md). Their own split index, so adding them
            leaves train and val as they are. Defaults to 0 (none; the returned dict then has no ``train_extra``).
        subsets: For each k, ``splits/train_<k>.txt`` lists the first k training scenes (by index), one
            ``<city>/<stem>`` per line as mmseg's ``ann_file`` reads them (under ``data_prefix``, without the
            suffix): a labeled subset for a student with few labels. Defaults to () (none).
    """
    bad = [k for k in subsets if not 0 < k <= n_train]
    if bad:
        raise ValueError(f'subsets: {bad} are not between 1 and the {n_train} training scenes')
    counts, names = {}, []
    splits = [('train', n_train), ('val', n_val)] + ([('train_extra', n_extra)] if n_extra else [])
    for split, n in splits:
        cities = CITIES[split]
        for i in range(n):
            rng = np.random.default_rng([seed, SPLIT_INDEX[split], i])
            img, label = _scene(size[0], size[1], rng)
            city = cities[i % len(cities)]
            stem = f'{city}_{i // len(cities):06d}_000019'
            if split == 'train':
                names.append(f'{city}/{stem}')
            files = [('leftImg8bit', '_leftImg8bit.png', img[..., ::-1])]
            if split != 'train_extra':  # the extra images come without labels
                files.append(('gtFine', '_gtFine_labelTrainIds.png', label))
            for sub, suffix, arr in files:
                folder = osp.join(root, sub, split, city)
                os.makedirs(folder, exist_ok=True)
                cv2.imwrite(osp.join(folder, stem + suffix), np.ascontiguousarray(arr))
        counts[split] = n
    for k in subsets:
        os.makedirs(osp.join(root, 'splits'), exist_ok=True)
        with open(osp.join(root, 'splits', f'train_{k}.txt'), 'w') as f:
            f.write(''.join(f'{name}\n' for name in names[:k]))
    return counts
