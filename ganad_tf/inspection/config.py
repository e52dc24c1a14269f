"""The inspection configuration: the core config plus folder-data settings.

`InspectionConfig` is what `experiments.train_folder` parses its flags into
and what a saved detector stores in detector.json.
"""

import dataclasses
from typing import Any, Dict

from ganad_tf.core.config import (CoreConfig, EvalConfig, check_image_size,
                                  check_sampling, option,
                                  sampling_seed_option)
from ganad_tf.data import registry

# Fields of the data section that detectors saved before the benchmark and
# inspection configs were split still carry; they never affected a detector.
_BENCHMARK_ONLY_DATA_FIELDS = ('dataset', 'data_dir', 'tfds_data_dir',
                               'anomaly_total')


@dataclasses.dataclass
class InspectionData:
  """How the tiles of a folder of photos are sampled and split.

  Attributes:
    image_size: model input size; each tile is resized to it (paper
      Sec. 4.1: 128).
    kmeans_k: clusters per defect kind for the balanced sampling (Sec. 3.5).
    validation_fraction: share of each kind's images held out (stratified,
      seeded) to calibrate the threshold.
    sampling_seed: seed of k-means and of the validation split.
  """
  image_size: int = option(
      128, 'Model input size; each tile is resized to it (paper: 128; '
      'multiple of 16).')
  kmeans_k: int = option(
      10, 'k-means clusters per defect kind for balanced sampling.')
  validation_fraction: float = option(
      0.2, "Share of each kind's images held out to calibrate the "
      'threshold.')
  sampling_seed: int = sampling_seed_option()

  def validate(self):
    check_image_size(self.image_size)
    check_sampling(self.kmeans_k, self.validation_fraction)


@dataclasses.dataclass
class InspectionConfig(CoreConfig):
  """Everything that determines training one defect detector.

  Defaults: the paper's model, weights and schedule, 128x128 inputs and 20%
  of each kind held out for calibration. With train.augment='paper' a
  detector uses the defect augmentation (flips and 90 degree rotations).
  """
  data: InspectionData = dataclasses.field(default_factory=InspectionData)
  eval: EvalConfig = dataclasses.field(default_factory=EvalConfig)

  def fingerprint_values(self) -> Dict[str, Any]:
    """With the data fields the config had before the split, at the values
    every detector had, so interrupted train_folder runs still resume."""
    values = self.to_dict()
    values['data'].update(dataset=registry.FOLDER, anomaly_total=None)
    return values

  @classmethod
  def from_dict(cls, values: Dict[str, Any]) -> 'InspectionConfig':
    """Also reads detector.json files written before the config split."""
    if 'data' in values:
      data = {name: value for name, value in values['data'].items()
              if name not in _BENCHMARK_ONLY_DATA_FIELDS}
      values = dict(values, data=data)
    return super().from_dict(values)
