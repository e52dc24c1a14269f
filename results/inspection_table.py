"""The paper's Table 4 layout for one inspection data set, three models.

Reads DIR/<model>/results.json (train_folder) and DIR/<model>/
evaluation.json (predict --evaluate on the test split) and writes
DIR/table.md; nothing is retrained.

Usage: python results/inspection_table.py results/elpv
"""

import json
import os
import sys

HERE = sys.argv[1]
MODELS = (('gan', 'GAN (the paper\'s method)'),
          ('classifier', 'supervised classifier (baseline)'),
          ('autoencoder', 'auto-encoder (G, L1 on normals)'))


def main():
  lines = ['| model | validation AUROC | test AUROC | precision | recall | '
           'F1 | flagged (test) | pixel AUROC | train minutes |',
           '|---|---:|---:|---:|---:|---:|---:|---:|---:|']
  for name, title in MODELS:
    folder = os.path.join(HERE, name)
    if not os.path.exists(os.path.join(folder, 'evaluation.json')):
      lines.append(f'| {title} | not run | | | | | | | |')
      continue
    with open(os.path.join(folder, 'results.json')) as handle:
      trained = json.load(handle)
    with open(os.path.join(folder, 'evaluation.json')) as handle:
      test = json.load(handle)
    flagged = test['true_positives'] + test['false_positives']
    pixel = (f'{test["pixel"]["auroc_sampled"]:.2f}' if test.get('pixel')
             else 'no masks')
    total = flagged + test['true_negatives'] + test['false_negatives']
    lines.append(
        f'| {title} | {trained["validation"]["auroc"]:.2f} | '
        f'{test["auroc"]:.2f} | {test["precision"]:.3f} | '
        f'{test["recall"]:.3f} | {test["f1"]:.3f} | {flagged}/{total} | '
        f'{pixel} | {trained["training"]["train_seconds"] / 60:.1f} |')
  text = '\n'.join(lines) + '\n'
  with open(os.path.join(HERE, 'table.md'), 'w') as handle:
    handle.write(text)
  print(text)


if __name__ == '__main__':
  main()
