"""Does G's latent code carry what separates defective ELPV cells?

A diagnostic for the encoder-head lever (issue 22): loads the detector
trained with --encoder_head (levers.sh encoder_head), computes G's latent
code of every train/ cell, and fits a logistic regression on a seeded 75%
of them (on the code pooled over positions, and on the whole code),
reporting AUROC on the other 25%. Only train/ is read; every cell here was
also in G's training data or its calibration split, so this says what the
code holds, not how a detector would do on new cells.

Usage: python results/elpv/probe_latent.py runs/elpv_levers/encoder_head /tmp/elpv/train
"""

import sys

import numpy as np
import tensorflow as tf
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from ganad_tf.data import folder_data
from ganad_tf.inspection import tiles
from ganad_tf.inspection.detector import Detector
from ganad_tf.pixels import to_model_range


def main(model_dir: str, data_dir: str):
  detector = Detector.load(model_dir)
  size = detector.input_size
  data = folder_data.load_folder(data_dir, 1, (size, size))
  # The detector's own model input (tiles.to_model_input: each cell
  # centred, as --center_tiles, the default, trains and scores it).
  images = np.asarray(tiles.tiles_for_model(
      to_model_range(tf.constant(data.images, tf.float32)), detector.grid,
      size, detector.settings.center_tiles))
  _, latent, head = detector.model.predict(images, batch_size=128, verbose=0)
  labels = data.is_anomaly.astype(int)
  order = np.random.default_rng(0).permutation(len(labels))
  fit, held = order[:int(0.75 * len(order))], order[int(0.75 * len(order)):]
  print(f'head logit, all {len(labels)} cells: AUROC '
        f'{100 * roc_auc_score(labels, head[:, 0]):.2f}')
  for name, features in (('pooled code (64)', latent.mean(axis=(1, 2))),
                         ('whole code', latent.reshape(len(latent), -1))):
    probe = LogisticRegression(C=1.0, max_iter=5000).fit(features[fit],
                                                         labels[fit])
    print(f'linear probe on the {name}: held-out AUROC '
          f'{100 * roc_auc_score(labels[held], probe.decision_function(features[held])):.2f}')


if __name__ == '__main__':
  main(*sys.argv[1:3])
