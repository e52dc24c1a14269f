"""Setting a detector's decision threshold from labelled images.

By default the threshold is the one with the best F1 on the validation
split held out by `Detector.fit`; with a target false-positive rate it is
the lowest one whose false-positive rate on the normal images is at most
that. Without defect images only the second is possible. The validation
AUROC and precision / recall / F1 at the threshold are stored beside it,
and so is the heat scale that overlays use to colour heat maps.
"""

import logging
from typing import Any, Dict, Iterable, List, Optional, Tuple

import numpy as np

from ganad_tf.core import metrics
from ganad_tf.errors import DatasetError

logger = logging.getLogger('ganad_tf')

# Without defect images the threshold can only come from normal images.
DEFAULT_NORMAL_ONLY_FPR = 0.01
# Normal heat maps are subsampled by this step per axis for the heat scale.
_HEAT_STEP = 4
# A best-F1 threshold whose F1 is within this of flagging every image has
# learned nothing useful to decide with; calibrate() warns about it.
WEAK_F1_MARGIN = 0.01


def flag_all_f1(labels: np.ndarray) -> float:
  """F1 of flagging every image as a defect: 2p / (1 + p), p = defect share."""
  share = float(np.mean(labels == 1)) if len(labels) else 0.0
  return 2 * share / (1 + share)


def float32_threshold(threshold: float) -> float:
  """The float32 threshold that makes the same decisions on float32 scores.

  Scores are float32; a float64 threshold just above a score could round
  down onto it and flag it.
  """
  value = np.float32(threshold)
  if float(value) < threshold:
    value = np.nextafter(value, np.float32(np.inf))
  return float(value)


def heat_scale(normal_heat: List[np.ndarray],
               defect_peaks: List[float]) -> Dict[str, float]:
  """Heat values for overlays: 'low' is background, 'high' full colour.

  low = 99th percentile of (subsampled) normal-image heat; high = median of
  the defect images' hottest pixels (or 3x low without defect images).
  """
  low = (float(np.percentile(np.concatenate(normal_heat), 99))
         if normal_heat else 0.0)
  high = float(np.median(defect_peaks)) if defect_peaks else 3 * low
  return {'low': low, 'high': max(high, low * 1.5, low + 1e-6)}


def collect(chunks: Iterable[Tuple[int, Dict[str, np.ndarray]]],
            labels: np.ndarray) -> Tuple[np.ndarray, Dict[str, float]]:
  """Scores and heat scale from chunks of inference outputs.

  Args:
    chunks: (first image index, {'score', 'error_map'}) per call, as
      inference.batches yields them.
    labels: 1 = defect, 0 = normal, per image.

  Returns:
    (scores (N,), heat_scale). Only what the heat scale needs of each map
    is kept.
  """
  scores, normal_heat, defect_peaks = [], [], []
  for start, out in chunks:
    scores.append(out['score'])
    for label, heat in zip(labels[start:start + len(out['score'])],
                           out['error_map']):
      if label:
        defect_peaks.append(float(heat.max()))
      else:
        normal_heat.append(heat[::_HEAT_STEP, ::_HEAT_STEP].ravel())
  scores = np.concatenate(scores) if scores else np.zeros([0], np.float32)
  return scores, heat_scale(normal_heat, defect_peaks)


def calibrate(labels: np.ndarray, scores: np.ndarray,
              target_fpr: Optional[float] = None,
              heat: Optional[Dict[str, float]] = None) -> Dict[str, Any]:
  """The threshold for these scores and the metrics at it.

  Args:
    labels: 1 = defect, 0 = normal, per image.
    scores: the images' anomaly scores (float32).
    target_fpr: None for the best-F1 threshold (or, without defect images,
      DEFAULT_NORMAL_ONLY_FPR); else the false-positive rate to stay within.
    heat: the heat scale to store (see `collect`).

  Returns:
    threshold (float32-exact), method, target_fpr, AUROC (%; None without
    defect images), precision / recall / F1 / FPR and counts at the
    threshold, num_normal, num_defect, heat_scale.

  Raises:
    DatasetError: no normal images.
  """
  labels = np.asarray(labels).astype(np.int64).ravel()
  if not np.any(labels == 0):
    raise DatasetError('Calibration needs normal images (label 0): the '
                       'threshold is set against their scores.')
  has_anomalies = bool(np.any(labels == 1))
  if not has_anomalies and target_fpr is None:
    logger.warning('No defect images to calibrate on; using a %.0f%% '
                   'false-positive rate on normal images instead of best '
                   'F1 (set --target_fpr to choose).',
                   100 * DEFAULT_NORMAL_ONLY_FPR)
    target_fpr = DEFAULT_NORMAL_ONLY_FPR
  if target_fpr is None:
    method = 'best_f1'
    threshold = metrics.best_f1_threshold(labels, scores)
  else:
    method = f'target_fpr={target_fpr:g}'
    threshold = metrics.fpr_threshold(scores[labels == 0], target_fpr)
  threshold = float32_threshold(threshold)
  result = metrics.detection_metrics(labels, scores, threshold)
  result.update(
      method=method, target_fpr=target_fpr,
      auroc=metrics.auroc(labels, scores) if has_anomalies else None,
      num_normal=int(np.sum(labels == 0)),
      num_defect=int(np.sum(labels == 1)),
      heat_scale=heat if heat is not None else heat_scale([], []))
  if has_anomalies:
    result['flag_all_f1'] = flag_all_f1(labels)
    result['weak_threshold'] = bool(
        result['f1'] <= result['flag_all_f1'] + WEAK_F1_MARGIN)
    if result['weak_threshold']:
      logger.warning(
          'The calibrated threshold is no better than flagging every image '
          '(F1 %.3f against %.3f; it flags %d of %d normal validation '
          'images): the model does not separate these defects. Compare '
          'with --model=classifier, train longer, or check the data.',
          result['f1'], result['flag_all_f1'], result['false_positives'],
          result['num_normal'])
  logger.info('Threshold %.6g (%s): validation AUROC %s, precision %.3f, '
              'recall %.3f, F1 %.3f on %d normal + %d defect images.',
              threshold, method,
              'n/a' if result['auroc'] is None else f'{result["auroc"]:.2f}',
              result['precision'], result['recall'], result['f1'],
              result['num_normal'], result['num_defect'])
  return result
