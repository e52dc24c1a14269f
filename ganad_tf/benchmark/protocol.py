"""The paper's benchmark protocol (Sec. 4.1, 4.3): data and per-class split.

One class is normal, all others are anomalies. For each normal class: all of
its training images plus as many anomalies, sampled equally from the other
classes with k-means (Sec. 3.5); the whole test split is scored.
"""

import dataclasses
from typing import List, Optional, Sequence

import numpy as np

from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.data import datasets
from ganad_tf.data import sampling
from ganad_tf.data import splits
from ganad_tf.errors import ConfigError


@dataclasses.dataclass
class PreparedData(datasets.LabeledImages):
  """A benchmark dataset ready for the model: LabeledImages whose images
  are float32 [-1, 1] at the model's input size S, and whose training split
  has its validation images (config.data.validation_fraction) taken out.

  Attributes (beyond LabeledImages'):
    validation_images: float32 [V, S, S, C] held out of the training split,
      or None.
    validation_labels: int64 [V], or None.
  """
  validation_images: Optional[np.ndarray] = None
  validation_labels: Optional[np.ndarray] = None


@dataclasses.dataclass
class ClassSplit:
  """Training and evaluation data for one normal class.

  Labels of evaluation images are 1 for anomalies, 0 for normal images.
  """
  normal_class: int
  train_normal: np.ndarray
  train_anomaly: np.ndarray
  train_anomaly_classes: np.ndarray
  test_images: np.ndarray
  test_labels: np.ndarray
  test_classes: np.ndarray
  validation_images: Optional[np.ndarray] = None
  validation_labels: Optional[np.ndarray] = None


def prepare_data(config: BenchmarkConfig) -> PreparedData:
  """Loads, scales and resizes a dataset; carves out validation data
  (after cutting each class to train_per_class images, when set)."""
  data_cfg = config.data
  raw = datasets.load_dataset(data_cfg.dataset, data_cfg.data_dir,
                              data_cfg.tfds_data_dir)
  if data_cfg.train_per_class:
    keep = splits.per_label_subset(raw.train_labels, data_cfg.train_per_class,
                                   data_cfg.sampling_seed)
    raw = dataclasses.replace(raw, train_images=raw.train_images[keep],
                              train_labels=raw.train_labels[keep])
  train_images = datasets.preprocess_images(raw.train_images,
                                            data_cfg.image_size)
  test_images = datasets.preprocess_images(raw.test_images,
                                           data_cfg.image_size)
  prepared = PreparedData(raw.name, train_images, raw.train_labels,
                          test_images, raw.test_labels, list(raw.class_names),
                          raw.source)
  if data_cfg.validation_fraction > 0:
    held_out = splits.validation_mask(raw.train_labels,
                                      data_cfg.validation_fraction,
                                      data_cfg.sampling_seed)
    prepared.validation_images = train_images[held_out]
    prepared.validation_labels = raw.train_labels[held_out]
    prepared.train_images = train_images[~held_out]
    prepared.train_labels = raw.train_labels[~held_out]
  return prepared


def check_normal_classes(classes: Optional[Sequence[int]],
                         num_classes: int, dataset: str) -> List[int]:
  """All classes when None; otherwise checks each is in range."""
  if classes is None or len(classes) == 0:
    return list(range(num_classes))
  for value in classes:
    if not 0 <= int(value) < num_classes:
      raise ConfigError(f'Normal class {value} is out of range for {dataset}, '
                        f'which has classes 0..{num_classes - 1}; fix '
                        '--normal_classes.')
  if len(set(classes)) != len(classes):
    raise ConfigError(f'--normal_classes lists a class twice: {list(classes)}.')
  return [int(c) for c in classes]


def make_split(data: PreparedData, normal_class: int,
               config: BenchmarkConfig) -> ClassSplit:
  """Applies the protocol for one normal class (with k-means sampling)."""
  data_cfg = config.data
  is_normal = data.train_labels == normal_class
  anomaly_index = sampling.sample_anomalies(
      data.train_images, data.train_labels, normal_class,
      data_cfg.anomaly_total, data_cfg.kmeans_k, data_cfg.sampling_seed,
      data_cfg.kmeans_quotas)
  split = ClassSplit(
      normal_class=normal_class,
      train_normal=data.train_images[is_normal],
      train_anomaly=data.train_images[anomaly_index],
      train_anomaly_classes=data.train_labels[anomaly_index],
      test_images=data.test_images,
      test_labels=(data.test_labels != normal_class).astype(np.int64),
      test_classes=data.test_labels)
  if data.validation_images is not None:
    split.validation_images = data.validation_images
    split.validation_labels = (data.validation_labels !=
                               normal_class).astype(np.int64)
  return split
