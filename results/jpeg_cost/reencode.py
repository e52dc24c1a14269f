"""Re-encodes Fashion-MNIST or CIFAR-10 as JPEG, in the canonical layout.

The CIFAR-10 copy this machine has is a JPEG re-encoding at quality ~75;
this measures what such a copy costs, on Fashion-MNIST (originals against
one re-encoding) and on CIFAR-10 (the copy against the copy re-encoded once
more). Pillow's JPEG encoder at the given quality, its default chroma
subsampling (4:2:0 for colour), decoded back to uint8.

Usage:
  python results/jpeg_cost/reencode.py fashion_mnist SRC_DIR DST_DIR [75]
  python results/jpeg_cost/reencode.py cifar10 SRC_DIR DST_DIR [75]

SRC_DIR holds the four IDX .gz files, or cifar-10-batches-py/; DST_DIR gets
the same files with re-encoded images (labels copied unchanged).
"""

import gzip
import io
import os
import pickle
import shutil
import sys

import numpy as np
from PIL import Image

IDX_IMAGES = ('train-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte.gz')
IDX_LABELS = ('train-labels-idx1-ubyte.gz', 't10k-labels-idx1-ubyte.gz')
CIFAR_BATCHES = tuple(f'data_batch_{i}' for i in range(1, 6)) + ('test_batch',)


def jpeg_roundtrip(image: np.ndarray, quality: int) -> np.ndarray:
  """One uint8 image (H, W) or (H, W, 3) through JPEG and back."""
  buffer = io.BytesIO()
  Image.fromarray(image).save(buffer, format='JPEG', quality=quality)
  buffer.seek(0)
  with Image.open(buffer) as decoded:
    return np.asarray(decoded.convert('RGB' if image.ndim == 3 else 'L'))


def reencode_idx(src: str, dst: str, quality: int):
  os.makedirs(dst, exist_ok=True)
  for name in IDX_IMAGES:
    with gzip.open(os.path.join(src, name), 'rb') as handle:
      raw = handle.read()
    header, count = raw[:16], int.from_bytes(raw[4:8], 'big')
    rows, cols = int.from_bytes(raw[8:12], 'big'), int.from_bytes(
        raw[12:16], 'big')
    images = np.frombuffer(raw, np.uint8, offset=16).reshape(count, rows, cols)
    out = np.stack([jpeg_roundtrip(image, quality) for image in images])
    with gzip.open(os.path.join(dst, name), 'wb') as handle:
      handle.write(header + out.tobytes())
    print(name, out.shape, 'mean |change|',
          float(np.abs(out.astype(int) - images).mean()))
  for name in IDX_LABELS:
    shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))


def reencode_cifar(src: str, dst: str, quality: int):
  src = os.path.join(src, 'cifar-10-batches-py')
  dst = os.path.join(dst, 'cifar-10-batches-py')
  os.makedirs(dst, exist_ok=True)
  for name in CIFAR_BATCHES:
    with open(os.path.join(src, name), 'rb') as handle:
      batch = pickle.load(handle, encoding='bytes')
    images = batch[b'data'].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    out = np.stack([jpeg_roundtrip(image, quality) for image in images])
    batch[b'data'] = out.transpose(0, 3, 1, 2).reshape(len(out), -1)
    with open(os.path.join(dst, name), 'wb') as handle:
      pickle.dump(batch, handle)
    print(name, out.shape, 'mean |change|',
          float(np.abs(out.astype(int) - images).mean()))
  shutil.copyfile(os.path.join(src, 'batches.meta'),
                  os.path.join(dst, 'batches.meta'))


def main(argv):
  if len(argv) not in (4, 5) or argv[1] not in ('fashion_mnist', 'cifar10'):
    sys.exit(__doc__)
  quality = int(argv[4]) if len(argv) == 5 else 75
  {'fashion_mnist': reencode_idx, 'cifar10': reencode_cifar}[argv[1]](
      argv[2], argv[3], quality)


if __name__ == '__main__':
  main(sys.argv)
