"""Detection metrics: AUROC and precision / recall / F1 at a threshold."""

from typing import Dict, Optional

import numpy as np
from sklearn import metrics as sk_metrics

from ganad_tf.errors import ConfigError, DatasetError


def _check(labels: np.ndarray, scores: np.ndarray):
  labels = np.asarray(labels).astype(np.int64).ravel()
  scores = np.asarray(scores, dtype=np.float64).ravel()
  if labels.shape != scores.shape:
    raise ValueError(f'{len(labels)} labels but {len(scores)} scores.')
  if not np.all(np.isfinite(scores)):
    raise FloatingPointError('Some anomaly scores are NaN/Inf; the model is '
                             'broken and must not be evaluated.')
  present = set(np.unique(labels).tolist())
  if present != {0, 1}:
    raise DatasetError('AUROC needs both normal (0) and anomaly (1) examples; '
                       f'the evaluation set only has labels {sorted(present)}.')
  return labels, scores


def auroc(labels: np.ndarray, scores: np.ndarray) -> float:
  """Area under the ROC curve in percent; label 1 = anomaly = high score."""
  labels, scores = _check(labels, scores)
  return 100.0 * float(sk_metrics.roc_auc_score(labels, scores))


def roc_curve(labels: np.ndarray, scores: np.ndarray):
  """(false positive rates, true positive rates, thresholds)."""
  labels, scores = _check(labels, scores)
  return sk_metrics.roc_curve(labels, scores)


def best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
  """The score threshold (score >= t is anomalous) that maximises F1."""
  labels, scores = _check(labels, scores)
  precision, recall, thresholds = sk_metrics.precision_recall_curve(labels,
                                                                    scores)
  f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
  # The last precision/recall pair has no threshold.
  return float(thresholds[int(np.argmax(f1[:-1]))])


def threshold_at_fpr(labels: np.ndarray, scores: np.ndarray,
                     target_fpr: float) -> float:
  """The lowest threshold whose false-positive rate is <= target_fpr."""
  labels, scores = _check(labels, scores)
  return fpr_threshold(scores[labels == 0], target_fpr)


def fpr_threshold(normal_scores: np.ndarray, target_fpr: float) -> float:
  """The lowest threshold flagging at most target_fpr of the normal scores.

  Needs no anomalies, so it also calibrates a normal-only model.
  """
  if not 0 <= target_fpr < 1:
    raise ConfigError(f'target_fpr={target_fpr} must be in [0, 1).')
  normal = np.sort(np.asarray(normal_scores, np.float64).ravel())
  if not len(normal):
    raise DatasetError('A false-positive-rate threshold needs normal '
                       'validation images; there are none.')
  # Allowing k false positives: the threshold sits just above the
  # (k+1)-th highest normal score.
  allowed = int(np.floor(target_fpr * len(normal)))
  return float(np.nextafter(normal[len(normal) - allowed - 1], np.inf))


def detection_metrics(labels: np.ndarray, scores: np.ndarray,
                      threshold: float) -> Dict[str, Optional[float]]:
  """Precision, recall, F1, FPR and accuracy of `score >= threshold`."""
  labels = np.asarray(labels).astype(np.int64).ravel()
  predicted = np.asarray(scores).ravel() >= threshold
  true_pos = int(np.sum(predicted & (labels == 1)))
  false_pos = int(np.sum(predicted & (labels == 0)))
  false_neg = int(np.sum(~predicted & (labels == 1)))
  true_neg = int(np.sum(~predicted & (labels == 0)))
  precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 0.0
  recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 0.0
  f1 = (2 * precision * recall / (precision + recall)
        if precision + recall else 0.0)
  negatives = false_pos + true_neg
  return {'threshold': float(threshold), 'precision': precision,
          'recall': recall, 'f1': f1,
          'false_positive_rate': false_pos / negatives if negatives else None,
          'accuracy': (true_pos + true_neg) / max(len(labels), 1),
          'true_positives': true_pos, 'false_positives': false_pos,
          'false_negatives': false_neg, 'true_negatives': true_neg}
