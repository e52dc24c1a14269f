"""Detection metrics: AUROC, thresholds, precision / recall / F1."""

import numpy as np
import pytest

from ganad_tf.core import metrics
from ganad_tf.errors import ConfigError, DatasetError


def test_auroc_hand_computed():
  # Pairs (anomaly, normal): (0.8,0.1) (0.8,0.4) (0.35,0.1) (0.35,0.4):
  # 3 of 4 ordered correctly.
  labels = [0, 0, 1, 1]
  scores = [0.1, 0.4, 0.35, 0.8]
  assert metrics.auroc(labels, scores) == pytest.approx(75.0)


def test_auroc_needs_both_labels_and_finite_scores():
  with pytest.raises(DatasetError, match='both normal'):
    metrics.auroc([1, 1], [0.1, 0.2])
  with pytest.raises(FloatingPointError):
    metrics.auroc([0, 1], [0.1, np.nan])


def test_labels_and_scores_must_pair_up():
  with pytest.raises(ValueError, match='2 labels but 3 scores'):
    metrics.auroc([0, 1], [0.1, 0.2, 0.3])


def test_best_f1_threshold_and_detection_metrics():
  labels = np.array([0, 0, 0, 1, 1])
  scores = np.array([0.1, 0.2, 0.6, 0.5, 0.9])
  threshold = metrics.best_f1_threshold(labels, scores)
  result = metrics.detection_metrics(labels, scores, threshold)
  # Best F1 flags 0.5, 0.6 and 0.9: precision 2/3, recall 1, F1 0.8.
  assert threshold == pytest.approx(0.5)
  assert result['f1'] == pytest.approx(0.8)
  assert result['precision'] == pytest.approx(2 / 3)
  assert result['recall'] == 1.0
  assert result['false_positive_rate'] == pytest.approx(1 / 3)


def test_threshold_at_fpr():
  labels = np.array([0] * 10 + [1] * 2)
  scores = np.concatenate([np.arange(10) / 10, [2.0, 3.0]])
  threshold = metrics.threshold_at_fpr(labels, scores, 0.1)
  result = metrics.detection_metrics(labels, scores, threshold)
  assert result['false_positive_rate'] <= 0.1
  assert result['false_positives'] == 1
  zero = metrics.threshold_at_fpr(labels, scores, 0.0)
  assert metrics.detection_metrics(labels, scores, zero)[
      'false_positives'] == 0


def test_fpr_threshold_allows_the_floor_of_the_target_share():
  # Normal scores 1..10, shuffled: a 25% target allows floor(2.5) = 2
  # false positives, so the threshold sits just above the third highest, 8.
  normal = np.array([7.0, 2, 10, 4, 1, 9, 3, 8, 6, 5])
  threshold = metrics.fpr_threshold(normal, 0.25)
  assert threshold == np.nextafter(8.0, np.inf)
  assert int(np.sum(normal >= threshold)) == 2
  assert metrics.fpr_threshold(normal, 0.0) == np.nextafter(10.0, np.inf)


def test_fpr_threshold_refuses_bad_targets_and_no_normals():
  for target in (1.0, -0.1):
    with pytest.raises(ConfigError, match='must be in'):
      metrics.fpr_threshold([1.0, 2.0], target)
  with pytest.raises(DatasetError, match='needs normal'):
    metrics.fpr_threshold([], 0.1)
