"""table.md from the JSON files of run.sh: oneDNN off against on.

  python results/speed/onednn/table.py
"""

import glob
import json
import os
import re

from ganad_tf import io_utils

HERE = os.path.dirname(os.path.abspath(__file__))


def _rows():
  found = {}
  cpu = None
  for path in sorted(glob.glob(os.path.join(HERE, 'batch*_onednn*.json'))):
    batch, shape, onednn = re.match(
        r'batch(\d+)_(\w+)_onednn(\d)\.json', os.path.basename(path)).groups()
    with open(path, encoding='utf-8') as handle:
      report = json.load(handle)
    cpu = report['machine'].get('cpu_model', cpu)
    for key, row in report['training'].items():
      layout = f'{row["processes"]}x{row["threads_per_process"]}'
      found[('train', shape, int(batch), layout, onednn)] = (
          row['total_images_per_second'])
    for key, row in report['inference'].items():
      threads = key.split('/')[1]
      found[('infer', shape, row['batch_size'], threads, onednn)] = (
          row['images_per_second'])
  return found, cpu


def main():
  found, cpu = _rows()
  lines = [f'CPU: {cpu}. Images/s (all processes together); ratio = off / on.',
           '',
           '| what | input | batch | processes x threads | oneDNN off | '
           'oneDNN on | off / on |',
           '|---|---|---:|---|---:|---:|---:|']
  keys = sorted({k[:4] for k in found}, key=lambda k: (k[0] != 'train', k[2],
                                                       k[1], k[3]))
  for kind, shape, batch, layout in keys:
    off = found.get((kind, shape, batch, layout, '0'))
    on = found.get((kind, shape, batch, layout, '1'))
    if off is None or on is None:
      continue
    lines.append(f'| {"training" if kind == "train" else "inference"} | '
                 f'{shape} | {batch} | {layout} | {off:,.0f} | {on:,.0f} | '
                 f'{off / on:.2f}x |')
  table = '\n'.join(lines) + '\n'
  print(table)
  io_utils.write_text(os.path.join(HERE, 'table.md'), table)


if __name__ == '__main__':
  main()
