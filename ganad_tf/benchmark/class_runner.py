"""Trains and scores one normal class at a time, and what it may reuse.

`ClassRunner.run` applies the protocol to one normal class, trains, scores
the test split and writes the class's files (see run_folder). Its Trainers
come from a `TrainerCache`, so classes, ablation rows and grid points that
share a graph trace it once.
"""

import dataclasses
import logging
import os
import time
from typing import Any, Dict, Optional

import numpy as np

from ganad_tf import io_utils
from ganad_tf.benchmark import protocol
from ganad_tf.benchmark import report
from ganad_tf.benchmark import run_folder
from ganad_tf.data import splits
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import metrics
from ganad_tf.core import runtime
from ganad_tf.core.config import fingerprint
from ganad_tf.core.config import saved_model_file
from ganad_tf.progress import format_duration

logger = logging.getLogger('ganad_tf')


def train_auroc(scorer, split: protocol.ClassSplit, seed: int) -> float:
  """AUROC (%) on a fixed sample of the training images
  (splits.diagnostic_sample: up to 1,000 normal against up to 1,000 anomaly
  images; for the auto-encoder, anomalies it was never trained on); NaN
  without anomalies.

  Beside the validation AUROC it shows over-fitting: a model that separates
  its training images far better than unseen ones has memorised them.
  """
  images = (split.train_normal, split.train_anomaly)
  groups = [group[picked] for group, picked in zip(
      images, splits.diagnostic_sample([len(g) for g in images], seed))]
  if not len(groups[1]):
    return float('nan')
  labels = np.concatenate([np.zeros(len(groups[0]), int),
                           np.ones(len(groups[1]), int)])
  return metrics.auroc(labels, scorer.scores(np.concatenate(groups)))


class TrainerCache:
  """Prepared data and traced Trainers, kept for the life of one process.

  A Trainer traces its graph once and then fits any config with the same
  `structure_key`, so benchmark classes, ablation rows and grid points that
  share a structure reuse one graph instead of tracing again.

  Args:
    strategy: the tf.distribute strategy every Trainer is built under.
  """

  def __init__(self, strategy=None):
    self.strategy = strategy
    self._data = {}
    self._trainers = {}

  def data(self, config: BenchmarkConfig) -> protocol.PreparedData:
    # Every data field, so that a field added later cannot be forgotten
    # (a few, such as kmeans_k, only matter later, which costs a reload).
    key = tuple(sorted(dataclasses.asdict(config.data).items()))
    if key not in self._data:
      self._data[key] = protocol.prepare_data(config)
    return self._data[key]

  def trainer(self, config: BenchmarkConfig, image_shape, dataset: str):
    from ganad_tf.core.trainer import shared_trainer  # TF only if needed.
    return shared_trainer(self._trainers, config, image_shape, dataset,
                          self.strategy)


class ClassRunner:
  """Trains and scores normal classes one after another.

  Args:
    config: the run's configuration.
    data: the prepared dataset.
    output_dir: the run folder; None keeps results in memory only.
    cache: where Trainers come from (a new cache if None).
  """

  def __init__(self, config: BenchmarkConfig, data: protocol.PreparedData,
               output_dir: Optional[str],
               cache: Optional[TrainerCache] = None):
    self.config = config
    self.data = data
    self.output_dir = output_dir
    self.fingerprint = fingerprint(config)
    self.cache = cache or TrainerCache()
    self._scorers = {}

  @property
  def trainer(self):
    return self.cache.trainer(self.config, self.data.train_images.shape[1:],
                              self.data.name)

  def scorers(self):
    """Compiled Scorers of the trainer's scoring network (G or the
    classifier), one per kind, traced once (outside any timing)."""
    from ganad_tf.core.scoring import KindScorers
    model = self.trainer.scoring_model
    if id(model) not in self._scorers:
      scorers = KindScorers(model, self.config)
      for scorer in scorers.by_kind.values():
        scorer.scores(self.data.test_images[:1])
      self._scorers[id(model)] = scorers
    return self._scorers[id(model)]

  def run(self, normal_class: int) -> Dict[str, Any]:
    """Trains on one normal class, scores the test split, saves results."""
    from ganad_tf.core.scoring import aurocs, weights_are_finite
    config = self.config
    name = self.data.class_names[normal_class]
    prefix = f'[class {normal_class}: {name}] '
    started = time.monotonic()
    split = protocol.make_split(self.data, normal_class, config)
    folder = (run_folder.class_dir(self.output_dir, normal_class)
              if self.output_dir else None)
    sampled = time.monotonic()
    trainer = self.trainer
    train_result = trainer.fit(split.train_normal, split.train_anomaly,
                               run_dir=folder, config=config,
                               log_prefix=prefix)
    logger.info('%s%s', prefix, trainer.describe())
    trained = time.monotonic()
    model = trainer.scoring_model
    if not weights_are_finite(model):
      raise FloatingPointError(f'{prefix}the trained {model.name} has NaN/Inf '
                               'weights; refusing to score it.')
    scorers = self.scorers()
    scorer = scorers.by_kind[scorers.main]
    score_started = time.monotonic()  # after the scorer's one-off tracing
    scores = scorer.scores(split.test_images)
    scored = time.monotonic()
    auroc = metrics.auroc(split.test_labels, scores)
    result = {
        'normal_class': normal_class,
        'class_name': name,
        'model': config.model.kind,
        'auroc': auroc,
        # Over-fitting has a number: the same score on images trained on.
        'train_auroc': train_auroc(scorer, split, config.data.sampling_seed),
        'score': scorers.main,
        'fingerprint': self.fingerprint,
        'num_train_normal': int(len(split.train_normal)),
        'num_train_anomaly': int(len(split.train_anomaly)),
        'train_anomaly_per_class': {
            str(c): int(n) for c, n in zip(*np.unique(
                split.train_anomaly_classes, return_counts=True))},
        'num_test': int(len(split.test_labels)),
        'num_test_anomaly': int(split.test_labels.sum()),
        'steps': train_result.steps,
        'steps_per_epoch': train_result.steps_per_epoch,
        'resumed_from_step': train_result.resumed_from_step,
        'final_losses': train_result.final_losses,
        'train_images_per_second': train_result.images_per_second,
        'inference_images_per_second': len(scores) / max(
            scored - score_started, 1e-9),
        # The process that trained this class (a --jobs worker's own).
        'numerics': runtime.numerics(),
        'seconds': {'sampling': sampled - started, 'train': trained - sampled,
                    'score': scored - score_started,
                    'total': scored - started,
                    # With the invocations this one resumed; None if unknown.
                    'train_all_runs': (
                        None if train_result.earlier_train_seconds is None
                        else train_result.earlier_train_seconds +
                        trained - sampled)},
        **report.scoring_summary(scores, split.test_labels),
        # results.json reports these; recorded here because with --jobs > 1
        # only the workers hold a Trainer.
        **trainer.parameter_counts(),
    }
    saved_scores = {'scores': scores.astype(np.float32),
                    'labels': split.test_labels,
                    'test_classes': split.test_classes}
    if split.validation_images is not None:
      # Every score on validation (what studies and grid searches rank by)
      # and on test (for information only; never used to choose anything),
      # saved raw so their tables can be rebuilt without retraining.
      validation = scorers.score_split(split.validation_images)
      test = scorers.score_split(
          split.test_images, known={scorers.main: saved_scores['scores']})
      by_score = aurocs(split.validation_labels, validation)
      result['validation_auroc'] = by_score[scorers.main]
      result['validation_auroc_by_score'] = by_score
      result['test_auroc_by_score'] = aurocs(split.test_labels, test)
      saved_scores['validation_labels'] = split.validation_labels
      for kind in scorers.by_kind:
        saved_scores[f'validation_scores_{kind}'] = validation[kind]
        saved_scores[f'test_scores_{kind}'] = test[kind]
    if folder and trainer.is_chief():
      io_utils.save_keras_model(
          os.path.join(folder, saved_model_file(config.model.kind)),
          model)
      # Scores before the result: result.json marks the class as done.
      io_utils.save_npz(os.path.join(folder, run_folder.SCORES_FILE),
                        **saved_scores)
      io_utils.write_json(os.path.join(folder, run_folder.RESULT_FILE),
                          result)
    logger.info('%sAUROC %.2f%% (train %s, score %s)', prefix, auroc,
                format_duration(trained - sampled),
                format_duration(scored - score_started))
    return result
