"""The benchmark's configuration: the core config plus a benchmark dataset.

`BenchmarkConfig` is what `experiments.benchmark`, `.ablation`,
`.grid_search`, `.speed` and `.profile` parse their flags into, and what
every benchmark run folder stores as config.json. Its JSON (and so every
committed run's fingerprint) is the same as before the configs were split.
"""

import dataclasses
from typing import Optional

from ganad_tf.data import registry
from ganad_tf.core.config import (CoreConfig, EvalConfig, check_choice,
                                  check_image_size, check_sampling, option,
                                  sampling_seed_option)
from ganad_tf.errors import ConfigError



# The names of ganad_tf.data.sampling.QUOTAS, here without importing
# scikit-learn (flags and configs stay light).
KMEANS_QUOTAS = ('proportional', 'equal')


@dataclasses.dataclass
class DataConfig:
  """Which data a run trains on and how the training set is sampled.

  Attributes:
    dataset: one of ganad_tf.data.registry.NAMES.
    data_dir: folder with the dataset's canonical files; None uses tfds
      (or the embedded copy for digits).
    tfds_data_dir: where tfds keeps prepared datasets; None is tfds' default.
    image_size: model input size; (F)MNIST and digits are resized to it.
    kmeans_k: clusters per class for the balanced sampling (Sec. 3.5); the
      paper does not give k.
    kmeans_quotas: how a class's quota is spread over its clusters.
      'proportional' (default, Sec. 3.5): by cluster size. 'equal'
      (Sec. 3.2's wording): the same number from each cluster, the rest
      spread over clusters that have images left.
    anomaly_total: anomaly training images in all; None means as many as
      there are normal training images (the paper's 6000 + 6000).
    train_per_class: keep only this many (seeded) training images of each
      class, to study small data sets (e.g. 500, with --min_steps); None
      keeps all. The test split is never cut.
    validation_fraction: share of each class of the training split held out
      (stratified, seeded) for validation; the benchmark itself uses 0.
    sampling_seed: seed of k-means and of the validation split.
  """
  dataset: str = option(
      'digits', f'One of {", ".join(registry.NAMES)} (digits is embedded).')
  data_dir: Optional[str] = option(
      None, 'Folder with the canonical files (IDX .gz for (Fashion-)MNIST, '
      'cifar-10-batches-py / cifar-100-python or their .tar.gz). Unset: '
      'download with tfds.')
  tfds_data_dir: Optional[str] = option(
      None, 'tensorflow_datasets folder (default: tfds default).')
  image_size: int = option(32, 'Model input size (multiple of 16).')
  kmeans_k: int = option(10, 'k-means clusters per class for balanced '
                         'sampling.')
  kmeans_quotas: str = option(
      'proportional', 'proportional: k-means clusters give images by size '
      '(Sec. 3.5); equal: the same number each (Sec. 3.2).',
      choices=KMEANS_QUOTAS)
  anomaly_total: Optional[int] = option(
      None, 'Anomaly training images in all (default: as many as normal '
      'images).')
  train_per_class: Optional[int] = option(
      None, 'Keep only this many training images per class (seeded; '
      'small-data studies). Unset: all.')
  validation_fraction: float = option(
      0.0, 'Per-class share of training data held out for validation '
      '(model selection never uses test).')
  sampling_seed: int = sampling_seed_option()

  def validate(self):
    if self.dataset not in registry.NAMES:
      raise ConfigError(f'Unknown dataset {self.dataset!r}; choose one of '
                        f'{", ".join(registry.NAMES)} (--dataset).')
    check_image_size(self.image_size)
    check_sampling(self.kmeans_k, self.validation_fraction)
    check_choice('kmeans_quotas', self.kmeans_quotas, KMEANS_QUOTAS)
    if self.anomaly_total is not None and self.anomaly_total < 1:
      raise ConfigError(f'anomaly_total={self.anomaly_total} must be >= 1.')
    if self.train_per_class is not None and self.train_per_class < 1:
      raise ConfigError(f'train_per_class={self.train_per_class} must be '
                        '>= 1 (unset keeps every training image).')


@dataclasses.dataclass
class BenchmarkConfig(CoreConfig):
  """Everything that determines one benchmark run of one normal class."""
  data: DataConfig = dataclasses.field(default_factory=DataConfig)
  eval: EvalConfig = dataclasses.field(default_factory=EvalConfig)
