"""The detector's inference graph and how batches of photos go through it.

`InferenceModule` is the whole inference path as one TensorFlow graph:
pixel scaling (ganad_tf.pixels), tiling and resizing (inspection.tiles), the
generator, scores and error maps (core.scoring), stitching and the max over
tiles. A classifier (`--model=classifier`) scores each tile by its logit;
its heat map is coarse: each tile's pixels hold the tile's probability.
`Detector.export` saves exactly that graph as a SavedModel, so it must use
TensorFlow ops only. The helpers below feed it numpy batches.
"""

from typing import Dict, Iterator, Sequence, Tuple

import keras
import numpy as np
import tensorflow as tf

from ganad_tf.core import scoring
from ganad_tf.core.config import HEAD_SCORE
from ganad_tf.pixels import to_model_range
from ganad_tf.inspection import tiles
from ganad_tf.progress import ProgressLogger

OUTPUTS = ('score', 'decision', 'error_map', 'tile_scores')
# Batches bigger than this log their progress.
_PROGRESS_MIN_IMAGES = 200


class InferenceModule(tf.Module):
  """The whole inference path as one TensorFlow graph.

  `infer` takes float32 pixel values 0..255 (the Python API's checked
  input); `serve` takes uint8 images and is the SavedModel signature. Both
  return a dict of score (N,), error_map (N, H, W), decision (N,) and
  tile_scores (N, T).
  """

  def __init__(self, model: keras.Model, image_shape: Sequence[int],
               grid: tiles.TileGrid, input_size: int, score_kind: str,
               patch_size: int, patch_stride: int, stitch: str,
               threshold: float = float('inf'), center_tiles: bool = False,
               model_kind: str = 'gan'):
    super().__init__(name='ganad_detector')
    self.model = model  # G, or the classifier for model_kind 'classifier'
    self._is_classifier = model_kind == 'classifier'
    self.threshold = tf.Variable(threshold, dtype=tf.float32, trainable=False,
                                 name='threshold')
    self._grid = grid
    self._input_size = int(input_size)
    self._score_kind = score_kind
    self._patch = (int(patch_size), int(patch_stride))
    self._stitch = stitch
    self._center = bool(center_tiles)
    shape = [None] + [int(v) for v in image_shape]
    # autograph=False: the graph has no data-dependent Python control flow,
    # and tracing then does not re-read this file's source.
    self.infer = tf.function(
        self._infer, input_signature=[tf.TensorSpec(shape, tf.float32)],
        autograph=False)
    self.serve = tf.function(
        self._infer,
        input_signature=[tf.TensorSpec(shape, tf.uint8, name='images')],
        autograph=False)

  def _infer(self, pixels):
    tiles_in = tiles.tiles_for_model(to_model_range(pixels), self._grid,
                                     self._input_size, self._center)
    if self._is_classifier:
      logits = self.model(tiles_in, training=False)[:, 0]
      flat_scores = logits
      tile_maps = tf.sigmoid(logits)[:, None, None] * tf.ones(
          [self._input_size, self._input_size])
    else:
      # G: (reconstruction, latent); with --encoder_head also the logit.
      outputs = self.model(tiles_in, training=False)
      reconstructions = outputs[0]
      flat_scores = (outputs[-1][:, 0] if self._score_kind == HEAD_SCORE else
                     scoring.score_batch(tiles_in, reconstructions,
                                         self._score_kind, *self._patch))
      tile_maps = scoring.error_map(tiles_in, reconstructions)
    tile_scores = tf.reshape(flat_scores, [-1, self._grid.num_tiles])
    score = tf.reduce_max(tile_scores, axis=1)
    heat = tiles.stitch(tile_maps, self._grid, self._stitch)
    return {'score': score, 'error_map': heat,
            'decision': score >= self.threshold, 'tile_scores': tile_scores}


def images_per_call(batch_size: int, num_tiles: int) -> int:
  """Images per graph call so that about batch_size tiles run at once."""
  return max(1, batch_size // num_tiles)


def call(module: InferenceModule, pixels: np.ndarray,
         keys: Sequence[str]) -> Dict[str, np.ndarray]:
  """One graph call on checked pixels; the outputs named by keys."""
  out = module.infer(tf.constant(np.asarray(pixels, np.float32)))
  return {key: out[key].numpy() for key in keys}


def batches(module: InferenceModule, pixels: np.ndarray, step: int,
            keys: Sequence[str]
            ) -> Iterator[Tuple[int, Dict[str, np.ndarray]]]:
  """(first image index, outputs) per call of `step` images.

  For callers that keep only part of each call's outputs: full-size maps
  of a whole data set would not fit in memory.
  """
  for start in range(0, len(pixels), step):
    yield start, call(module, pixels[start:start + step], keys)


def run_batched(module: InferenceModule, pixels: np.ndarray, step: int,
                keys: Sequence[str]) -> Dict[str, np.ndarray]:
  """Runs the module over a batch in calls of `step` images; concatenates.

  Logs progress on big batches. An empty batch gives empty outputs of the
  right trailing shape.
  """
  if not len(pixels):
    empty = module.infer(tf.zeros((1,) + pixels.shape[1:], tf.float32))
    return {key: empty[key].numpy()[:0] for key in keys}
  parts = {key: [] for key in keys}
  progress = (ProgressLogger(len(pixels), 30.0, prefix='scored ',
                             unit='image')
              if len(pixels) > _PROGRESS_MIN_IMAGES else None)
  for start, out in batches(module, pixels, step, keys):
    for key in keys:
      parts[key].append(out[key])
    if progress:
      progress.update(min(start + step, len(pixels)))
  return {key: np.concatenate(values) for key, values in parts.items()}
