"""Collects the synthetic-defect run into results.json and example overlays.

Run after the commands in README.md:
  python results/synthetic_defects/collect.py /tmp/synthetic_defects \
      /tmp/e2e/final2/timings.txt
"""

import json
import os
import platform
import sys

import numpy as np
from PIL import Image

from ganad_tf import io_utils

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = {
    'ours': ('model', 'predict'),
    'paper_faithful_no_centring': ('model_nocenter', 'predict_nocenter'),
    'normal_only_ablation': ('model_normal_only', 'predict_normal_only'),
}
EXAMPLES = ('stain/stain_0003.png', 'stamped/stamped_0007.png',
            'scratch/scratch_0001.png', 'stain/stain_0013.png',
            'scratch/scratch_0006.png', 'normal/normal_0049.png')
CONTRAST_BINS = ((0, 15), (15, 30), (30, 256))


def _recall_by_contrast(root, evaluation):
  """Recall at the threshold per bin of the defect's peak contrast."""
  manifest = io_utils.read_json(os.path.join(root, 'test', 'manifest.json'))
  contrast = {r['file']: max(d['contrast'] for d in r['defects'])
              for r in manifest['images'] if r['defects']}
  scores = evaluation['scores']
  found = {f: s >= evaluation['threshold']
           for f, s in zip(scores['files'], scores['scores'])}
  out = {}
  for low, high in CONTRAST_BINS:
    files = [f for f, c in contrast.items() if low <= c < high]
    out[f'{low}-{high} gray levels'] = {
        'images': len(files),
        'recall': float(np.mean([found[f] for f in files])) if files else None}
  return out


def main(root, timings_path):
  timings = {}
  with open(timings_path) as handle:
    for line in handle:
      parts = line.split()
      if len(parts) == 2:
        timings[parts[0]] = round(float(parts[1]), 1)
  runs = {}
  for name, (model, predict) in RUNS.items():
    train = io_utils.read_json(os.path.join(root, model, 'results.json'))
    test = io_utils.read_json(os.path.join(root, predict, 'evaluation.json'))
    runs[name] = {
        'train_command': train['command'],
        'threshold': train['threshold'],
        'threshold_method': train['threshold_method'],
        'validation': train['validation'],
        'training_tiles': train['training']['tiles'],
        'train_seconds': train['training']['train_seconds'],
        'test': {key: test[key] for key in (
            'auroc', 'precision', 'recall', 'f1', 'false_positive_rate',
            'accuracy', 'true_positives', 'false_positives',
            'false_negatives', 'true_negatives', 'per_kind', 'tile',
            'pixel', 'counts')},
        'test_recall_by_contrast': _recall_by_contrast(root, test),
    }
  settings = io_utils.read_json(os.path.join(root, 'model',
                                             'results.json'))['settings']
  results = {
      'data': {
          'train': 'make_synthetic seed 0: 400 normal, 30 scratch, 15 '
                   'stamped, 8 stain at 1096x500 (half the paper\'s '
                   '2192x1000); 20% of each kind held out for calibration',
          'test': 'make_synthetic seed 1: 100 normal, 20 of each defect '
                  'kind at 1096x500; never used for training or calibration',
      },
      'settings': settings,
      'runs': runs,
      'timings_seconds': timings,
      'environment': {'python': platform.python_version(),
                      'machine': platform.machine(),
                      'cpus': os.cpu_count(),
                      'note': 'CPU shared with another job (about half '
                              'speed)'},
  }
  io_utils.write_json(os.path.join(HERE, 'results.json'), results)
  folder = os.path.join(HERE, 'overlays')
  os.makedirs(folder, exist_ok=True)
  for name in EXAMPLES:
    stem = name.replace('/', '__')
    image = Image.open(os.path.join(root, 'predict', 'overlays', stem))
    image = image.resize((768, round(image.height * 768 / image.width)),
                         Image.LANCZOS)
    image.save(os.path.join(folder, stem), optimize=True)
  print(json.dumps({n: r['test'] for n, r in runs.items()}, indent=1)[:3000])


if __name__ == '__main__':
  main(sys.argv[1], sys.argv[2])
