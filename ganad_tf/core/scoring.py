"""Inference: anomaly scores and error maps from the generator alone.

The anomaly score is the reconstruction error (paper Sec. 3.1); the
per-pixel error map, averaged over channels, shows where the anomaly is.
The supervised baseline (`--model=classifier`) scores by its logit.
"""

from typing import Callable, Dict, Mapping, Optional, Sequence, Tuple

import keras
import numpy as np
import tensorflow as tf

from ganad_tf.core import losses
from ganad_tf.core import metrics
from ganad_tf.data.checks import check_model_batch
from ganad_tf.core.config import (CLASSIFIER_SCORE, HEAD_SCORE, SCORES,
                                  CoreConfig, score_kinds)
from ganad_tf.errors import ConfigError


def score_batch(images, reconstructions, kind: str = 'l1', patch_size: int = 16,
                patch_stride: int = 8):
  """Per-image anomaly scores of a batch, shape (B,).

  Args:
    kind: 'l1' (paper: mean absolute error), 'l2' (mean squared error) or
      'patch' (mean absolute error of the worst patch; sensitive to small
      defects in large images).
  """
  if kind == 'l1':
    return losses.per_image_l1(images, reconstructions)
  if kind == 'l2':
    return tf.reduce_mean(tf.square(images - reconstructions), axis=[1, 2, 3])
  if kind == 'patch':
    errors = losses.patch_errors(images, reconstructions, patch_size,
                                 patch_stride)
    return tf.reduce_max(errors, axis=1)
  raise ConfigError(f'Unknown score {kind!r}; choose one of {SCORES}.')


def error_map(images, reconstructions):
  """Per-pixel absolute error averaged over channels, shape (B, H, W)."""
  return tf.reduce_mean(tf.abs(images - reconstructions), axis=-1)


class _BatchedScorer:
  """Runs a compiled per-batch function over images in fixed-size batches
  (the last one padded), so a new batch count never retraces."""

  def __init__(self, model: keras.Model, batch_size: int, kind: str,
               run: Callable, jit_compile: bool):
    self.model = model
    self.batch_size = batch_size
    self.kind = kind
    # autograph=False: nothing to convert, and AutoGraph would re-read this
    # source file at trace time (a file edited mid-run breaks the trace).
    self._run = tf.function(run, jit_compile=jit_compile,
                            reduce_retracing=True, autograph=False)

  def _batches(self, images: np.ndarray, fn: Callable):
    images = check_model_batch(images, 'Images to score',
                               tuple(self.model.input_shape[1:]))
    outputs = []
    for start in range(0, len(images), self.batch_size):
      batch = images[start:start + self.batch_size]
      size = len(batch)
      if size < self.batch_size:
        pad = np.zeros((self.batch_size - size,) + batch.shape[1:], batch.dtype)
        batch = np.concatenate([batch, pad])
      outputs.append([o[:size] for o in fn(batch)])
    return [np.concatenate(parts) for parts in zip(*outputs)]

  def scores(self, images: np.ndarray) -> np.ndarray:
    """Anomaly score of each image (higher = more anomalous)."""
    if not len(images):
      return np.zeros([0], np.float32)
    return self._batches(images, lambda b: [self._run(b)[0].numpy()])[0]


class Scorer(_BatchedScorer):
  """Batched, compiled inference with a fixed batch shape (no retracing).

  Args:
    generator: the trained generator (or `models.generator_with_head`):
      its first output is the reconstruction.
    batch_size: images per compiled call; the last batch is padded.
    kind: score kind, see `score_batch`.
  """

  def __init__(self, generator: keras.Model, batch_size: int = 256,
               kind: str = 'l1', patch_size: int = 16, patch_stride: int = 8,
               jit_compile: bool = False):
    if kind not in SCORES:
      raise ConfigError(f'Unknown score {kind!r}; choose one of {SCORES}.')
    self.generator = generator
    self.patch_size = patch_size
    self.patch_stride = patch_stride

    def run(images):
      reconstructions = generator(images, training=False)[0]
      return (score_batch(images, reconstructions, kind, patch_size,
                          patch_stride), reconstructions)

    super().__init__(generator, batch_size, kind, run, jit_compile)

  def scores_and_reconstructions(
      self, images: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Scores (N,) and reconstructions (N, H, W, C) of `images`."""
    def fn(batch):
      scores, reconstructions = self._run(batch)
      return [scores.numpy(), reconstructions.numpy()]
    scores, reconstructions = self._batches(images, fn)
    return scores, reconstructions


class LogitScorer(_BatchedScorer):
  """Scores by a logit for "anomaly": the classifier's (kind
  CLASSIFIER_SCORE) or the encoder head's of a GAN trained with
  --encoder_head (kind HEAD_SCORE, from `models.generator_with_head`).

  Args:
    model: a `models.build_classifier` model, or a generator with its head.
    batch_size: images per compiled call; the last batch is padded.
  """

  def __init__(self, model: keras.Model, batch_size: int = 256,
               kind: str = CLASSIFIER_SCORE, jit_compile: bool = False):
    if kind not in (CLASSIFIER_SCORE, HEAD_SCORE):
      raise ConfigError(f'Unknown logit score {kind!r}; choose '
                        f'{CLASSIFIER_SCORE} or {HEAD_SCORE}.')

    def run(images):
      outputs = model(images, training=False)
      logits = outputs[-1] if kind == HEAD_SCORE else outputs
      return (logits[:, 0],)

    super().__init__(model, batch_size, kind, run, jit_compile)

  def scores_and_reconstructions(self, images):
    raise ConfigError(f'The {self.kind!r} score has no reconstructions or '
                      'error maps; use scores().')


def weights_are_finite(model: keras.Model) -> bool:
  """True if no weight of `model` is NaN or Inf (never score such a model)."""
  return all(np.all(np.isfinite(keras.ops.convert_to_numpy(w)))
             for w in model.weights)


class KindScorers:
  """One compiled Scorer per score kind, all of one model.

  How a split is scored by every kind (the benchmark's results, AUROC
  against epoch, scripts): each Scorer traces once, and new weights set on
  the model (snapshots) need no retracing.

  Args:
    model: the generator to score with (with --encoder_head, the
      generator with its head, which adds the kind HEAD_SCORE), or for
      `config.model.kind == 'classifier'` the classifier (whose one kind is
      CLASSIFIER_SCORE).
    config: gives the model kind, the inference batch size, the main score
      and the patch score's patch.
    kinds: a generator's score kinds, see `score_batch`.
  """

  def __init__(self, model: keras.Model, config: CoreConfig,
               kinds: Sequence[str] = SCORES):
    self.main = (CLASSIFIER_SCORE if config.model.kind == 'classifier'
                 else config.eval.score)
    self.by_kind = {
        kind: (LogitScorer(model, config.eval.batch_size, kind)
               if kind in (CLASSIFIER_SCORE, HEAD_SCORE) else
               Scorer(model, config.eval.batch_size, kind,
                      config.train.patch_size, config.train.patch_stride))
        for kind in score_kinds(config.model, kinds)}

  def score_split(self, images: np.ndarray,
                  known: Optional[Mapping[str, np.ndarray]] = None
                  ) -> Dict[str, np.ndarray]:
    """Every kind's per-image scores of `images`, float32; the kinds in
    `known` (scores of these images already computed) are not scored again.
    """
    known = known or {}
    return {kind: (np.asarray(known[kind], np.float32) if kind in known
                   else scorer.scores(images).astype(np.float32))
            for kind, scorer in self.by_kind.items()}

  def auroc_by_kind(self, images: np.ndarray,
                    labels: np.ndarray) -> Dict[str, float]:
    """AUROC (%) of every kind on `images` with 0/1 `labels`."""
    return aurocs(labels, self.score_split(images))


def aurocs(labels: np.ndarray,
           scores_by_kind: Mapping[str, np.ndarray]) -> Dict[str, float]:
  """AUROC (%) of each kind's scores against 0/1 `labels`."""
  return {kind: metrics.auroc(labels, scores)
          for kind, scores in scores_by_kind.items()}
