"""How a detector reads and tiles photos and chooses its training tiles.

`DetectorSettings` holds the inspection choices that are not part of the
model's training configuration (`InspectionConfig`): the tiling, the way
anomaly tiles are chosen (ganad_tf.inspection.tile_selection), heat-map
stitching and the threshold rule. experiments.train_folder defines one flag
per field, and a saved detector stores them in detector.json.
"""

import dataclasses
from typing import Any, Dict, Optional, Tuple, Union

from ganad_tf.data import sizes
from ganad_tf.core import config as config_lib
from ganad_tf.core.config import option
from ganad_tf.data import folder_data
from ganad_tf.data import image_files
from ganad_tf.errors import ConfigError
from ganad_tf.inspection import tiles

ANOMALY_TILE_CHOICES = ('auto', 'mask', 'max_error')
DEFECT_CROP_CHOICES = ('grid', 'centred')


@dataclasses.dataclass
class DetectorSettings:
  """How images are read and tiled and how the training tiles are chosen.

  Attributes:
    tile_size: (height, width) of a tile in image pixels; None scores the
      whole image resized to the model input (fine when defects are large).
    tile_stride: (y, x) step between tiles; None = tile_size. Smaller
      strides overlap tiles: smoother heat maps, more compute.
    channels: 'auto' (1 if every training image is grayscale, else 3), 1, 3.
    resize_to: (height, width) every image is resized to when read; needed
      when the photos have different sizes.
    resize_mode: 'stretch' scales each axis to resize_to (the aspect ratio
      changes); 'pad' scales by one factor to fit and pads the rest with
      the edge pixels (the aspect ratio stays; heat maps and overlays are
      at the padded size).
    anomaly_tiles: 'auto', 'mask' or 'max_error' (see tile_selection).
    tiles_per_defect_image: anomaly tiles taken per defect image by
      'max_error'.
    selection_epochs: epochs of the normal-only model used by 'max_error'.
    min_mask_share: with 'mask', a tile is a defect tile if it holds at
      least this share of the mask pixels of the image's best-covered tile.
    defect_crops: where anomaly crops from masks lie: 'grid' (the scoring
      grid's tiles on the defect) or 'centred' (tile-sized crops around each
      defect, like the paper's hand-cropped defect patches).
    normal_ratio: normal training tiles per anomaly training tile (paper: 1,
      a balanced set).
    max_normal_tiles: cap on normal training tiles (memory); also their
      count when training on normal images only.
    stitch: 'mean' or 'max' of overlapping tiles in heat maps.
    target_fpr: None calibrates the threshold for the best validation F1;
      a rate in [0, 1) for at most that false-positive rate instead.
    center_tiles: subtract each tile's mean intensity before the model (and
      clip to [-1, 1]), so lighting differences between tiles do not show
      up as reconstruction error; the model sees texture and local defects.
      Our design, not the paper's (False reproduces the paper); see
      ganad_tf.inspection.tiles.
  """
  tile_size: Optional[Tuple[int, int]] = option(
      None, 'Tile size in image pixels, WIDTHxHEIGHT or one number (paper: '
      '100 or 548x500); unset = whole image.')
  tile_stride: Optional[Tuple[int, int]] = option(
      None, 'Step between tiles, WIDTHxHEIGHT or one number (default: the '
      'tile size; smaller overlaps tiles).')
  channels: Union[str, int] = option(
      'auto', 'auto = 1 if every image is grayscale, else 3.',
      choices=folder_data.CHANNEL_CHOICES)
  resize_to: Optional[Tuple[int, int]] = option(
      None, 'Resize every photo to WIDTHxHEIGHT when reading (needed if '
      'their sizes differ).')
  resize_mode: str = option(
      'stretch', 'How photos reach --resize_to: stretch (each axis on its '
      'own) or pad (one scale factor, edges repeated: keeps the aspect '
      'ratio).', choices=image_files.RESIZE_MODES)
  anomaly_tiles: str = option(
      'auto', 'How defect tiles are chosen: mask (tiles on the defect mask), '
      'max_error (highest-error tiles under a briefly trained normal-only '
      'model), auto (mask if present).', choices=ANOMALY_TILE_CHOICES)
  tiles_per_defect_image: int = option(
      1, 'Tiles per defect image taken by max_error.')
  selection_epochs: int = option(
      5, 'Epochs of the normal-only model used by max_error.')
  min_mask_share: float = option(
      0.25, 'A tile is a defect tile if it holds at least this share of the '
      "mask pixels of the image's best-covered tile.")
  defect_crops: str = option(
      'grid', "Anomaly crops from masks: grid (the scoring grid's tiles on "
      "the defect) or centred (tile-sized crops around each defect, like "
      "the paper's hand-cropped patches).", choices=DEFECT_CROP_CHOICES)
  normal_ratio: float = option(
      1.0, 'Normal training tiles per defect tile (paper: 1).')
  max_normal_tiles: int = option(4096, 'Cap on normal training tiles.')
  stitch: str = option('mean', 'How overlapping tiles combine in heat maps.',
                       choices=tiles.STITCH_MODES)
  target_fpr: Optional[float] = option(
      None, 'Calibrate the threshold for at most this false-positive rate on '
      'normal validation images (default: best F1).')
  center_tiles: bool = option(
      True, "Subtract each tile's mean intensity before the model so uneven "
      'lighting is not scored as a defect (our design; --nocenter_tiles '
      'reproduces the paper).')

  def __post_init__(self):
    self.tile_size = sizes.parse_size(self.tile_size, 'tile_size')
    self.tile_stride = sizes.parse_size(self.tile_stride, 'tile_stride')
    self.resize_to = sizes.parse_size(self.resize_to, 'resize_to')
    self.channels = folder_data.parse_channels(self.channels)

  def validate(self):
    """Raises ConfigError naming the bad setting and its flag."""
    if self.anomaly_tiles not in ANOMALY_TILE_CHOICES:
      raise ConfigError(f'anomaly_tiles={self.anomaly_tiles!r}; choose one of '
                        f'{ANOMALY_TILE_CHOICES} (--anomaly_tiles).')
    if self.defect_crops not in DEFECT_CROP_CHOICES:
      raise ConfigError(f'defect_crops={self.defect_crops!r}; choose one of '
                        f'{DEFECT_CROP_CHOICES} (--defect_crops).')
    if self.resize_mode not in image_files.RESIZE_MODES:
      raise ConfigError(f'resize_mode={self.resize_mode!r}; choose one of '
                        f'{image_files.RESIZE_MODES} (--resize_mode).')
    if self.stitch not in tiles.STITCH_MODES:
      raise ConfigError(f'stitch={self.stitch!r}; choose one of '
                        f'{tiles.STITCH_MODES} (--stitch).')
    for name in ('tiles_per_defect_image', 'selection_epochs',
                 'max_normal_tiles'):
      value = getattr(self, name)
      if not isinstance(value, int) or value < 1:
        raise ConfigError(f'{name}={value!r} must be a whole number >= 1 '
                          f'(--{name}).')
    if not 0 <= self.min_mask_share <= 1:
      raise ConfigError(f'min_mask_share={self.min_mask_share} must be in '
                        '[0, 1] (--min_mask_share).')
    if not self.normal_ratio > 0:
      raise ConfigError(f'normal_ratio={self.normal_ratio} must be > 0 '
                        '(--normal_ratio).')
    if self.target_fpr is not None and not 0 <= self.target_fpr < 1:
      raise ConfigError(f'target_fpr={self.target_fpr} must be in [0, 1) '
                        '(--target_fpr), e.g. 0.01 for 1% false alarms.')

  def to_dict(self) -> Dict[str, Any]:
    values = dataclasses.asdict(self)
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in values.items()}

  @classmethod
  def from_dict(cls, values: Dict[str, Any]) -> 'DetectorSettings':
    return config_lib.dataclass_from_dict(cls, values)
