"""Threshold calibration on given scores: best F1, target FPR, heat scale."""

import numpy as np
import pytest

from ganad_tf.errors import DatasetError
from ganad_tf.inspection import calibration


def _scores():
  labels = np.array([0] * 6 + [1] * 4)
  scores = np.array([0.1, 0.2, 0.25, 0.3, 0.35, 0.6,    # one loud normal
                     0.5, 0.7, 0.8, 0.9], np.float32)
  return labels, scores


def test_float32_threshold_makes_the_same_decisions_on_float32_scores():
  score = np.float32(0.1)
  just_above = float(score) + 1e-12
  threshold = calibration.float32_threshold(just_above)
  assert threshold >= just_above and np.float32(threshold) == threshold
  assert not score >= np.float32(threshold)
  assert calibration.float32_threshold(0.5) == 0.5


def test_best_f1_threshold_and_metrics():
  labels, scores = _scores()
  result = calibration.calibrate(labels, scores)
  assert result['method'] == 'best_f1' and result['target_fpr'] is None
  assert result['threshold'] == pytest.approx(0.5)
  assert result['recall'] == 1.0 and result['false_positives'] == 1
  assert result['num_normal'] == 6 and result['num_defect'] == 4
  # 23 of the 24 (defect, normal) pairs are ordered: only 0.5 < 0.6.
  assert result['auroc'] == pytest.approx(100 * 23 / 24)


def test_a_threshold_no_better_than_flagging_everything_is_flagged(caplog):
  labels, scores = _scores()
  good = calibration.calibrate(labels, scores)
  # 4 defects in 10: flagging all has precision 0.4, recall 1, F1 8/14.
  assert good['flag_all_f1'] == pytest.approx(8 / 14)
  assert not good['weak_threshold']
  # Scores that do not separate: every defect below some normal images.
  noise = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.45, 0.55, 0.65, 0.3],
                   np.float32)
  caplog.set_level('WARNING', logger='ganad_tf')
  weak = calibration.calibrate(labels, noise)
  assert weak['weak_threshold']
  assert 'no better than flagging every image' in caplog.text


def test_target_fpr_keeps_false_alarms_within_the_rate():
  labels, scores = _scores()
  result = calibration.calibrate(labels, scores, target_fpr=0.0)
  assert result['method'] == 'target_fpr=0'
  assert result['false_positive_rate'] == 0.0
  assert np.all(scores[labels == 0] < result['threshold'])


def test_normal_images_only_use_the_default_false_positive_rate():
  labels, scores = _scores()
  result = calibration.calibrate(labels[:6], scores[:6])
  assert result['method'] == (
      f'target_fpr={calibration.DEFAULT_NORMAL_ONLY_FPR:g}')
  assert result['auroc'] is None
  with pytest.raises(DatasetError, match='normal images'):
    calibration.calibrate(labels[6:], scores[6:])


def test_collect_keeps_scores_and_the_heat_scale():
  labels = np.array([0, 0, 1])
  maps = np.zeros((3, 8, 8), np.float32)
  maps[0, 0, 0] = 0.2       # normal heat (kept at the subsampled pixel)
  maps[2, 3, 3] = 2.0       # the defect's hottest pixel
  chunks = [(0, {'score': np.array([0.1, 0.2]), 'error_map': maps[:2]}),
            (2, {'score': np.array([0.9]), 'error_map': maps[2:]})]
  scores, heat = calibration.collect(chunks, labels)
  np.testing.assert_array_equal(scores, [0.1, 0.2, 0.9])
  assert heat['high'] == 2.0
  assert heat['low'] == pytest.approx(np.percentile(
      np.r_[maps[0, ::4, ::4].ravel(), maps[1, ::4, ::4].ravel()], 99))
  empty, _ = calibration.collect([], labels[:0])
  assert empty.shape == (0,)


def test_heat_scale_without_defects_spans_three_times_the_background():
  scale = calibration.heat_scale([np.full(100, 0.5)], [])
  assert scale == {'low': 0.5, 'high': 1.5}
  # 'high' always lies above 'low', even for a silent model.
  assert calibration.heat_scale([], [])['high'] > 0
