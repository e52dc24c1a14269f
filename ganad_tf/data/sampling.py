"""k-means-based balanced sampling of training data (paper Sec. 3.5, 4.1).

Random subsampling can miss the rare modes of a class. Instead each class is
clustered with k-means and each cluster contributes to the sample in
proportion to its size, so the sample keeps the class's distribution.
"""

from typing import Dict, Optional, Sequence

import numpy as np
from sklearn.cluster import KMeans

from ganad_tf.errors import DatasetError

# k-means runs on images average-pooled to at most this size per side: it
# keeps the layout k-means needs and makes 128x128 colour patches cheap.
FEATURE_SIZE = 16


def kmeans_features(images: np.ndarray) -> np.ndarray:
  """Flattened, average-pooled images used as k-means features."""
  images = np.asarray(images, dtype=np.float32)
  if images.ndim == 3:
    images = images[..., None]
  _, height, width, _ = images.shape
  factor_h = max(1, height // FEATURE_SIZE)
  factor_w = max(1, width // FEATURE_SIZE)
  crop_h, crop_w = height - height % factor_h, width - width % factor_w
  pooled = images[:, :crop_h, :crop_w].reshape(
      images.shape[0], crop_h // factor_h, factor_h, crop_w // factor_w,
      factor_w, images.shape[-1]).mean(axis=(2, 4))
  return pooled.reshape(images.shape[0], -1)


def proportional_quotas(sizes: Sequence[int], total: int) -> np.ndarray:
  """Splits `total` over groups in proportion to `sizes` (largest remainder).

  No group gets more than its size; the quotas sum to min(total, sum(sizes)).
  """
  sizes = np.asarray(sizes, dtype=np.int64)
  total = int(min(total, sizes.sum()))
  exact = sizes * total / max(sizes.sum(), 1)
  quotas = np.floor(exact).astype(np.int64)
  # Largest remainders first; ties go to the lower index, deterministically.
  order = np.lexsort((np.arange(len(sizes)), -(exact - quotas)))
  for index in order[:total - quotas.sum()]:
    quotas[index] += 1
  return np.minimum(quotas, sizes)


def equal_quotas(sizes: Sequence[int], total: int) -> np.ndarray:
  """Splits `total` equally over groups; what a small group cannot take
  goes equally to the groups with images left (first ones get remainders).

  No group gets more than its size; the quotas sum to min(total, sum(sizes)).
  """
  sizes = np.asarray(sizes, dtype=np.int64)
  quotas = np.zeros_like(sizes)
  left = int(min(total, sizes.sum()))
  while left > 0:
    open_groups = np.flatnonzero(quotas < sizes)
    share, extra = divmod(left, len(open_groups))
    add = np.full(len(open_groups), share, np.int64)
    add[:extra] += 1
    add = np.minimum(add, sizes[open_groups] - quotas[open_groups])
    quotas[open_groups] += add
    left -= int(add.sum())
  return quotas


QUOTAS = {'proportional': proportional_quotas, 'equal': equal_quotas}


def kmeans_sample(images: np.ndarray, count: int, num_clusters: int,
                  seed: int, quotas: str = 'proportional') -> np.ndarray:
  """Picks `count` indices spread over k-means clusters.

  Args:
    images: (N, ...) images of one class.
    count: how many to pick; all N (in order) when count >= N.
    num_clusters: k; reduced to N when N is smaller.
    seed: seeds k-means and the draws within clusters.
    quotas: 'proportional' to cluster size (Sec. 3.5) or 'equal' per
      cluster (Sec. 3.2's wording); see QUOTAS.

  Returns:
    Sorted int64 indices into `images`.
  """
  num_images = len(images)
  if count >= num_images:
    return np.arange(num_images, dtype=np.int64)
  if count <= 0:
    return np.zeros([0], dtype=np.int64)
  num_clusters = max(1, min(num_clusters, num_images))
  features = kmeans_features(images)
  assignments = KMeans(n_clusters=num_clusters, n_init=1,
                       random_state=seed).fit_predict(features)
  sizes = np.bincount(assignments, minlength=num_clusters)
  rng = np.random.default_rng(seed)
  chosen = [rng.choice(np.flatnonzero(assignments == cluster), quota,
                       replace=False)
            for cluster, quota in enumerate(QUOTAS[quotas](sizes, count))
            if quota]
  return np.sort(np.concatenate(chosen)).astype(np.int64)


def equal_class_quotas(classes: Sequence[int], total: int) -> Dict[int, int]:
  """Splits `total` equally over classes; the first ones get the remainder."""
  base, extra = divmod(int(total), len(classes))
  return {int(c): base + (1 if i < extra else 0) for i, c in enumerate(classes)}


def balanced_sample(images: np.ndarray, labels: np.ndarray,
                    quotas: Dict[int, int], num_clusters: int,
                    seed: int, cluster_quotas: str = 'proportional'
                    ) -> np.ndarray:
  """k-means-samples `quotas[c]` images of each class c.

  Args:
    images: (N, ...) images.
    labels: (N,) class of each image.
    quotas: class -> how many to pick.
    num_clusters: k for each class's k-means.
    seed: base seed; each class gets its own derived seed.
    cluster_quotas: how a class's quota spreads over its clusters (QUOTAS).

  Returns:
    Sorted indices into `images`.

  Raises:
    DatasetError: a class has no images.
  """
  picked = []
  for offset, (label, quota) in enumerate(sorted(quotas.items())):
    members = np.flatnonzero(labels == label)
    if not len(members):
      raise DatasetError(f'Class {label} has no training images, so it cannot '
                         'be sampled; check the labels or drop the class.')
    local = kmeans_sample(images[members], quota, num_clusters,
                          seed=seed * 1000 + offset, quotas=cluster_quotas)
    picked.append(members[local])
  return np.sort(np.concatenate(picked)).astype(np.int64)


def sample_anomalies(images: np.ndarray, labels: np.ndarray, normal_class: int,
                     total: Optional[int], num_clusters: int,
                     seed: int, cluster_quotas: str = 'proportional'
                     ) -> np.ndarray:
  """The benchmark protocol: `total` anomalies, equal per anomaly class.

  Args:
    images, labels: the whole training split.
    normal_class: the class treated as normal; all others are anomalies.
    total: how many anomalies in all; None means as many as normal images.
    num_clusters: k for k-means within each class.
    seed: sampling seed.
    cluster_quotas: how each class's quota spreads over its clusters.

  Returns:
    Sorted indices of the sampled anomaly images.
  """
  anomaly_classes = sorted(int(c) for c in np.unique(labels)
                           if c != normal_class)
  if not anomaly_classes:
    raise DatasetError('There are no anomaly classes besides the normal '
                       f'class {normal_class}.')
  if total is None:
    total = int(np.sum(labels == normal_class))
  quotas = equal_class_quotas(anomaly_classes, total)
  return balanced_sample(images, labels, quotas, num_clusters, seed,
                         cluster_quotas)
