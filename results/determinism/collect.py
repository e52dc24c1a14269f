"""table.md and runs.json from results/determinism/run.sh's runs.

  python results/determinism/collect.py runs/determinism
"""

import os
import sys

import numpy as np

from ganad_tf import io_utils

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(folder):
  results = io_utils.read_json(os.path.join(folder, 'results.json'))
  runs = {}
  for name, detail in results['per_class_detail'].items():
    scores = np.load(os.path.join(folder, f'class_{int(name):02d}',
                                  'scores.npz'))['scores']
    runs[name] = {'auroc': detail['auroc'], 'scores': scores,
                  'numerics': detail['numerics']}
  return runs


def main(runs_dir):
  runs = {(o, r): _load(os.path.join(runs_dir, f'onednn{o}_{r}'))
          for o in (0, 1) for r in ('a', 'b')}
  rows = []
  for name in sorted(runs[(0, 'a')], key=int):
    off, off2 = runs[(0, 'a')][name], runs[(0, 'b')][name]
    on, on2 = runs[(1, 'a')][name], runs[(1, 'b')][name]
    rows.append({
        'class': int(name),
        'auroc_onednn_off': off['auroc'], 'auroc_onednn_on': on['auroc'],
        'auroc_difference': on['auroc'] - off['auroc'],
        'max_score_difference_on_off': float(
            np.max(np.abs(on['scores'] - off['scores']))),
        'rerun_identical_off': bool(np.array_equal(off['scores'],
                                                   off2['scores'])),
        'rerun_identical_on': bool(np.array_equal(on['scores'],
                                                  on2['scores'])),
        'cpu_model': off['numerics']['cpu_model'],
        'onednn_recorded_off_on': [off['numerics']['onednn'],
                                   on['numerics']['onednn']],
    })
  lines = [f'CPU preset, seed 0, one 2-thread process; CPU: '
           f'{rows[0]["cpu_model"]}. Test AUROC.', '',
           '| class | oneDNN off | oneDNN on | on - off | max score '
           'difference | rerun bit-identical (off / on) |',
           '|---:|---:|---:|---:|---:|:---:|']
  for r in rows:
    lines.append(
        f'| {r["class"]} | {r["auroc_onednn_off"]:.2f} | '
        f'{r["auroc_onednn_on"]:.2f} | {r["auroc_difference"]:+.2f} | '
        f'{r["max_score_difference_on_off"]:.4f} | '
        f'{"yes" if r["rerun_identical_off"] else "NO"} / '
        f'{"yes" if r["rerun_identical_on"] else "NO"} |')
  table = '\n'.join(lines) + '\n'
  print(table)
  io_utils.write_text(os.path.join(HERE, 'table.md'), table)
  io_utils.write_json(os.path.join(HERE, 'runs.json'), {'rows': rows})


if __name__ == '__main__':
  main(sys.argv[1] if len(sys.argv) > 1 else 'runs/determinism')
