"""table.md from the runs of run.sh (no retraining)."""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
PAIRS = (('Fashion-MNIST', 'fmnist_original', 'originals',
          'fmnist_q75', 'one JPEG q75 re-encoding'),
         ('CIFAR-10', 'cifar_jpeg', 'JPEG copy',
          'cifar_jpeg_q75', 'copy re-encoded at q75'))
MODELS = (('gan', 'GAN, CPU-hour preset'),
          ('classifier', 'classifier baseline'))


def _load(name):
  path = os.path.join(HERE, name, 'results.json')
  if not os.path.exists(path):
    return None
  with open(path) as handle:
    return json.load(handle)


def main():
  lines = ['# What a JPEG copy costs', '',
           'Test AUROC (%) per normal class; drop = before - after. Every '
           'run here, in one sitting, with `results/jpeg_cost/run.sh`.', '']
  for dataset, before, before_name, after, after_name in PAIRS:
    lines += [f'## {dataset}: {before_name} vs {after_name}', '',
              '| model | class | ' + before_name + ' | ' + after_name +
              ' | drop |', '|---|---|---:|---:|---:|']
    for model, title in MODELS:
      first, second = _load(f'{before}_{model}'), _load(f'{after}_{model}')
      if first is None or second is None:
        lines.append(f'| {title} | not run | | | |')
        continue
      drops = []
      for key, value in first['per_class'].items():
        other = second['per_class'].get(key)
        if other is None:
          continue
        drops.append(value - other)
        lines.append(f'| {title} | {first["class_names"][key]} | '
                     f'{value:.2f} | {other:.2f} | {value - other:+.2f} |')
      if drops:
        lines.append(f'| {title} | **mean** | {first["mean"]:.2f} | '
                     f'{second["mean"]:.2f} | '
                     f'**{sum(drops) / len(drops):+.2f}** |')
    lines.append('')
  text = '\n'.join(lines)
  with open(os.path.join(HERE, 'table.md'), 'w') as handle:
    handle.write(text)
  print(text)


if __name__ == '__main__':
  main()
