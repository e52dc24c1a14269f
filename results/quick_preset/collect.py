"""Table of the quick-preset candidates (results/quick_preset/run.sh).

Rule, fixed before the runs: a candidate's value is its mean validation
AUROC over the classes and both oneDNN settings, minus the mean over classes
of |validation AUROC with oneDNN on - off| (what float order alone moves).
The cheapest candidate within 0.2 of the best value is chosen. Test AUROC is
shown for information only.

  python results/quick_preset/collect.py runs/quick_preset
"""

import os
import sys

import numpy as np

from ganad_tf import io_utils

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(folder):
  results = io_utils.read_json(os.path.join(folder, 'results.json'))
  details = results['per_class_detail']
  classes = sorted(details, key=int)
  return {
      'validation': np.array([details[c]['validation_auroc'] for c in classes]),
      'test': np.array([details[c]['auroc'] for c in classes]),
      'steps': int(np.median([details[c]['steps'] for c in classes])),
      'class_seconds': float(sum(details[c]['seconds']['total']
                                 for c in classes)),
      'wall_seconds': results['timings']['this_invocation_wall_seconds'],
      'cpu_model': results['environment'].get('cpu_model'),
  }


def main(runs):
  budgets = sorted({int(name.split('_')[0][len('budget'):])
                    for name in os.listdir(runs) if name.startswith('budget')})
  rows = []
  for budget in budgets:
    pair = [_load(os.path.join(runs, f'budget{budget}_onednn{o}'))
            for o in (0, 1)]
    validation = (pair[0]['validation'] + pair[1]['validation']) / 2
    gap = np.abs(pair[1]['validation'] - pair[0]['validation'])
    test_gap = np.abs(pair[1]['test'] - pair[0]['test'])
    rows.append({
        'min_steps': budget, 'steps_per_class': pair[0]['steps'],
        'validation_mean': float(validation.mean()),
        'validation_min': float(validation.min()),
        'validation_onednn_gap_mean': float(gap.mean()),
        'validation_onednn_gap_max': float(gap.max()),
        'value': float(validation.mean() - gap.mean()),
        'test_mean_off_on': [float(p['test'].mean()) for p in pair],
        'test_std_off_on': [float(p['test'].std()) for p in pair],
        'test_min_off_on': [float(p['test'].min()) for p in pair],
        'test_onednn_gap_max': float(test_gap.max()),
        'wall_seconds_off_on': [p['wall_seconds'] for p in pair],
        'cpu_model': pair[0]['cpu_model'],
    })
  best = max(row['value'] for row in rows)
  chosen = min((r for r in rows if r['value'] >= best - 0.2),
               key=lambda r: r['min_steps'])
  lines = [
      f'Digits, quick preset, validation split 20%; CPU: {rows[0]["cpu_model"]}.',
      '',
      '| --min_steps | steps a class | validation mean (off/on averaged) | '
      'validation min class | mean / max on-off gap | value | chosen | '
      'test mean ± SD off | test mean ± SD on | test max on-off gap | '
      'wall s off / on |',
      '|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|']
  for r in rows:
    lines.append(
        f'| {r["min_steps"]} | {r["steps_per_class"]} | '
        f'{r["validation_mean"]:.2f} | {r["validation_min"]:.2f} | '
        f'{r["validation_onednn_gap_mean"]:.2f} / '
        f'{r["validation_onednn_gap_max"]:.2f} | {r["value"]:.2f} | '
        f'{"**yes**" if r is chosen else ""} | '
        f'{r["test_mean_off_on"][0]:.2f} ± {r["test_std_off_on"][0]:.2f} | '
        f'{r["test_mean_off_on"][1]:.2f} ± {r["test_std_off_on"][1]:.2f} | '
        f'{r["test_onednn_gap_max"]:.2f} | '
        f'{r["wall_seconds_off_on"][0]:.0f} / '
        f'{r["wall_seconds_off_on"][1]:.0f} |')
  table = '\n'.join(lines) + '\n'
  print(table)
  io_utils.write_text(os.path.join(HERE, 'table.md'), table)
  io_utils.write_json(os.path.join(HERE, 'candidates.json'),
                      {'rows': rows, 'chosen_min_steps': chosen['min_steps']})


if __name__ == '__main__':
  main(sys.argv[1] if len(sys.argv) > 1 else 'runs/quick_preset')
