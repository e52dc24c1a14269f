"""Old and new code timed side by side in one sitting (issue 9's protocol).

  git worktree add /tmp/old ebdb240
  python results/speed/sitting.py --old=/tmp/old --new=. --repeats=2

Alternates old and new for every measurement, `repeats` times, each in a
fresh single-threaded process (training) or with 1 and 2 threads
(inference), and writes sitting.jsonl (every raw number) and sitting.md
(medians and new/old ratios). Timings on a shared machine move by 20-30%
between runs: only the ratios within one sitting mean anything.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = [(shape, batch) for shape in ('32x32x1', '32x32x3')
         for batch in (16, 1)]
INFER = [(shape, threads) for shape in ('32x32x1', '32x32x3')
         for threads in (1, 2)]


def measure(checkout, args):
  env = dict(os.environ, PYTHONPATH=os.path.abspath(checkout),
             TF_CPP_MIN_LOG_LEVEL='2')
  out = subprocess.run([sys.executable, os.path.join(HERE,
                                                     'sitting_worker.py')] +
                       [str(a) for a in args], cwd=checkout, env=env,
                       capture_output=True, text=True, check=True).stdout
  return json.loads(out.strip().splitlines()[-1])


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--old', required=True)
  parser.add_argument('--new', required=True)
  parser.add_argument('--repeats', type=int, default=2)
  parser.add_argument('--group', type=int, default=6000)
  options = parser.parse_args()
  rows = []
  with open(os.path.join(HERE, 'sitting.jsonl'), 'w') as log:
    def record(version, args):
      row = measure(getattr(options, version), args)
      row.update(version=version, repeat=repeat)
      rows.append(row)
      log.write(json.dumps(row) + '\n')
      log.flush()
      print(row, flush=True)

    for repeat in range(options.repeats):
      for shape, batch in TRAIN:
        for version in ('old', 'new'):
          # The old code runs ~10 steps/s at batch 1 on 32x32x3.
          steps = 300 if version == 'old' else (3000 if batch == 1 else 600)
          record(version, ['train', shape, batch, options.group, steps, 1])
      for shape, threads in INFER:
        for version in ('old', 'new'):
          record(version, ['infer', shape, 0, 0, 0, threads])
  write_table(rows, options)


def _median(rows, **match):
  return statistics.median(r['img_per_s'] for r in rows
                           if all(r.get(k) == v for k, v in match.items()))


def _ratio_rows(rows, kind, column, settings):
  """Table rows: old and new medians of each (shape, setting), and ratio."""
  lines = []
  for shape, value in settings:
    old, new = (_median(rows, kind=kind, shape=shape, version=version,
                        **{column: value}) for version in ('old', 'new'))
    lines.append(f'| {shape} | {value} | {old:.0f} | {new:.0f} | '
                 f'{new / old:.1f}x |')
  return lines


def write_table(rows, options):
  lines = ['# Old (ebdb240) and new training core, one sitting', '',
           f'Two groups of {options.group:,} random images, paper losses, '
           'no augmentation, one process with one thread, op determinism '
           f'on; median of {options.repeats} alternating runs (all runs in '
           'sitting.jsonl).', '',
           '| input | batch | old img/s | new img/s | new / old |',
           '|---|---:|---:|---:|---:|']
  lines += _ratio_rows(rows, 'train', 'batch', TRAIN)
  lines += ['', 'Inference, 10,000 images at batch 500 (5 repeats '
            'per run):', '',
            '| input | threads | old img/s | new img/s | new / old |',
            '|---|---:|---:|---:|---:|']
  lines += _ratio_rows(rows, 'infer', 'threads', INFER)
  with open(os.path.join(HERE, 'sitting.md'), 'w') as handle:
    handle.write('\n'.join(lines) + '\n')
  print('\n'.join(lines))


if __name__ == '__main__':
  main()
