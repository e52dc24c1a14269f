"""A study of what closes the gap to the paper, on validation data only.

Each setting is a named set of config changes from one base (the preset
under study) and is a resumable benchmark run in its own folder with a
validation split carved from training data. The table gives, per setting
and class, the validation AUROC of every score kind (mean L1, the paper's;
L2; the worst patch), the test AUROC for information only, and minutes.
Nothing in a study reads test numbers to choose: a preset may only cite the
validation columns.
"""

import logging
import os
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from ganad_tf import io_utils
from ganad_tf.benchmark import report
from ganad_tf.benchmark import sweep
from ganad_tf.benchmark.class_runner import TrainerCache
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.core.config import SCORES
from ganad_tf.errors import ConfigError

logger = logging.getLogger('ganad_tf')

# Named settings: config sections -> field changes from the base config, or
# a function of the base config giving them: the base with other seeds (the
# noise), the paper's open choices (both readings), schedule length, batch,
# learning rate, augmentation.
Changes = Dict[str, Dict[str, Any]]


def _longer(factor: int) -> Callable[[BenchmarkConfig], Changes]:
  """`factor` times the base schedule, the lr decaying at the same points."""
  return lambda base: {'train': {
      'epochs': base.train.epochs * factor,
      'lr_decay_epochs': base.train.lr_decay_epochs * factor}}


def _other_seed(offset: int) -> Callable[[BenchmarkConfig], Changes]:
  """The base with another seed: how much a setting must move to be more
  than the noise of one run."""
  return lambda base: {'train': {'seed': base.train.seed + offset}}


# One study row per reading of the authors' later code.
AUTHORS_READINGS: Dict[str, Changes] = {
    'bce_disc': {'train': {'disc_loss': 'bce'}},
    'adam_beta1_0.5': {'train': {'adam_beta1': 0.5}},
    'constant_lr': {'train': {'lr_decay_factor': 1.0}},
    'normal_init': {'model': {'init': 'normal'}},
    'detached_patch': {'train': {'detach_patch_loss': True}},
    'authors_flips': {'train': {'augment': 'authors'}},
    'proportional_groups': {'train': {'group_schedule': 'proportional'}},
    'abc_batch': {'train': {'abc_reduction': 'batch'}},
}

SETTINGS: Dict[str, Union[Changes, Callable[[BenchmarkConfig], Changes]]] = {
    'base': {},
    'seed_1': _other_seed(1),
    'seed_2': _other_seed(2),
    'per_group_adam': {'train': {'generator_optimizers': 'per_group'}},
    'latent_stop_gradient': {'train': {'latent_target': 'stop_gradient'}},
    'equal_kmeans_quotas': {'data': {'kmeans_quotas': 'equal'}},
    'disc_steps_2': {'train': {'disc_steps': 2}},
    'epochs_x2': _longer(2),
    'epochs_x4': _longer(4),
    'batch_8': {'train': {'batch_size': 8}},
    'lr_3e-4': {'train': {'learning_rate': 3e-4}},
    'lr_3e-3': {'train': {'learning_rate': 3e-3}},
    'paper_augmentation': {'train': {'augment': 'paper'}},
    # The readings of the authors' later code (NOTES.md), one at a time,
    # and all of them (experiments/presets/authors.cfg).
    **{name: {section: dict(fields) for section, fields in changes.items()}
       for name, changes in AUTHORS_READINGS.items()},
    'authors': {'model': {'init': 'normal'}, 'train': {
        field: value for name, changes in AUTHORS_READINGS.items()
        for field, value in changes.get('train', {}).items()}},
    # The authors' later move toward a classifier: a head on G's latent
    # code, detached, so G is the base's; it adds the score 'head'.
    'encoder_head': {'model': {'encoder_head': True}},
    # The same head on mixed batches (both labels every step).
    'encoder_head_mixed': {'model': {'encoder_head': True},
                           'train': {'head_batches': 'mixed'}},
    # The head reading every latent position instead of their average.
    'encoder_head_flatten': {'model': {'encoder_head': True,
                                       'encoder_head_pool': 'flatten'}},
    # The baselines, on the base's data, schedule and seed.
    'classifier': {'model': {'kind': 'classifier'}},
    'autoencoder': {'model': {'kind': 'autoencoder'}},
}


def setting_changes(base: BenchmarkConfig, name: str) -> Changes:
  """What setting `name` changes in `base`.

  Names joined by '+' combine settings, each applied to the config the ones
  before it left (so 'epochs_x2+epochs_x2' is four times the base's
  schedule); a later part wins where two change the same field.
  """
  combined: Changes = {}
  config = base
  for part in name.split('+'):
    if part not in SETTINGS:
      raise ConfigError(f'Unknown study setting {part!r}; choose from '
                        f'{", ".join(SETTINGS)}, or join names with "+".')
    changes = SETTINGS[part]
    changes = changes(config) if callable(changes) else changes
    config = config_lib.replace(config, **changes)
    for section, fields in changes.items():
      combined.setdefault(section, {}).update(fields)
  return combined


def setting_config(base: BenchmarkConfig, name: str) -> BenchmarkConfig:
  config = config_lib.replace(base, **setting_changes(base, name))
  config.validate()
  return config


def run_study(base: BenchmarkConfig, settings: Sequence[str], output_dir: str,
              normal_classes: Optional[Sequence[int]] = None,
              command: Optional[str] = None,
              cache: Optional[TrainerCache] = None,
              jobs: int = 1) -> Dict[str, Any]:
  """Runs (or resumes) each setting; writes study.json and table.md.

  With jobs > 1, worker processes take the unfinished (setting, class) runs
  of all settings from one queue, so even a study of one class uses every
  core; each setting's results are then collected in this process.
  """
  if base.data.validation_fraction <= 0:
    raise ConfigError('A study compares settings on validation data; set '
                      '--validation_fraction > 0 (e.g. 0.1).')
  if not settings or len(set(settings)) != len(settings):
    raise ConfigError(f'Study settings {list(settings)} must be one or more '
                      'distinct names (--settings).')
  output_dir = io_utils.ensure_writable_dir(output_dir)
  folders = {name: os.path.join(output_dir, name) for name in settings}
  for name in settings:
    logger.info('Study setting %s: %s', name,
                setting_changes(base, name) or 'the base config')
  outcomes = sweep.run_sweep(
      {folders[name]: setting_config(base, name) for name in settings},
      normal_classes, jobs, command, cache=cache)
  rows: List[Dict[str, Any]] = []
  for name in settings:
    outcome = outcomes[folders[name]]
    details = outcome['per_class_detail']
    rows.append({
        'setting': name,
        'changes': setting_changes(base, name),
        'score': outcome['config']['eval']['score'] if outcome.get(
            'model', 'gan') != 'classifier' else config_lib.CLASSIFIER_SCORE,
        'train_auroc': {c: d.get('train_auroc') for c, d in details.items()},
        'validation_auroc': {c: d['validation_auroc_by_score']
                             for c, d in details.items()},
        # Absent in class results written before it was recorded.
        'test_auroc': {c: d.get('test_auroc_by_score', {})
                       for c, d in details.items()},
        'minutes': float(sum(report.class_seconds(d)
                             for d in details.values()) / 60),
    })
  results = {'base': base.to_dict(), 'normal_classes': normal_classes,
             'class_names': outcome['class_names'], 'rows': rows,
             'command': command}
  sweep.write_summary(output_dir, 'study.json', results,
                      format_table(results))
  return results


def _mean_or_na(values: Sequence[Optional[float]]) -> str:
  return 'n/a' if None in values else f'{np.mean(values):.2f}'


# Every score a study row may have, in table order.
ALL_SCORES = SCORES + (config_lib.HEAD_SCORE, config_lib.CLASSIFIER_SCORE)


def format_table(results: Dict[str, Any]) -> str:
  """One row per setting: validation AUROC per class and score, mean."""
  classes = list(results['class_names'])
  head = ' | '.join(f'{c} {results["class_names"][c]}' for c in classes)
  lines = ['# Study on validation data', '',
           'Validation AUROC (validation carved from the training split) '
           'per class, by anomaly score: mean L1 (the paper\'s) / L2 / '
           'worst patch (/ the encoder head\'s logit, where trained); the '
           'classifier baseline has one score, its logit. '
           'Means are of each row\'s own score (--score; the logit). Train '
           'AUROC (a fixed sample of the training images) shows '
           'over-fitting; test AUROC is for information only. Neither chose '
           'anything.', '',
           f'| setting | {head} | mean (val) | mean train (diag.) | '
           'mean test (info) | minutes |',
           '|---|' + '---:|' * (len(classes) + 4)]
  for row in results['rows']:
    main = row.get('score', 'l1')  # rows written before it was recorded
    kinds = [kind for kind in ALL_SCORES
             if kind in row['validation_auroc'][classes[0]]]
    cells = [' / '.join(f'{row["validation_auroc"][c][s]:.2f}'
                        for s in kinds) for c in classes]
    val_mean = np.mean([row['validation_auroc'][c][main] for c in classes])
    train = row.get('train_auroc', {})
    lines.append(
        f'| {row["setting"]} | ' + ' | '.join(cells) + f' | {val_mean:.2f} | '
        f'{_mean_or_na([train.get(c) for c in classes])} | '
        f'{_mean_or_na([row["test_auroc"][c].get(main) for c in classes])} | '
        f'{row["minutes"]:.1f} |')
  lines += ['', 'Mean validation AUROC over the classes by score (the '
            'row\'s own score in bold):', '',
            '| setting | ' + ' | '.join(ALL_SCORES) + ' |',
            '|---|' + '---:|' * len(ALL_SCORES)]
  for row in results['rows']:
    main = row.get('score', 'l1')
    cells = []
    for kind in ALL_SCORES:
      values = [row['validation_auroc'][c].get(kind) for c in classes]
      cell = '' if None in values else f'{np.mean(values):.2f}'
      cells.append(f'**{cell}**' if cell and kind == main else cell)
    lines.append(f'| {row["setting"]} | ' + ' | '.join(cells) + ' |')
  lines += seed_means_table(results)
  noise = seed_noise(results)
  if noise:
    lines += ['', noise]
  return '\n'.join(lines) + '\n'


def _seed_families(results: Dict[str, Any]
                   ) -> Dict[str, List[Dict[str, Any]]]:
  """The rows of each setting run with two or more seeds, by setting."""
  families: Dict[str, List[Dict[str, Any]]] = {}
  for row in results['rows']:
    families.setdefault(seed_family(row['setting']), []).append(row)
  return {family: rows for family, rows in families.items() if len(rows) > 1}


def seed_means_table(results: Dict[str, Any]) -> List[str]:
  """Markdown lines: each setting run with several seeds, by score, its
  mean validation AUROC over classes averaged over the seeds (± SD over
  the seeds); what a choice between settings should compare. Empty
  without such settings."""
  families = _seed_families(results)
  if not families:
    return []
  classes = list(results['class_names'])
  lines = ['', 'Mean over seeds of the mean validation AUROC over classes '
           '(± population SD over the seeds), by score:', '',
           '| setting | seeds | ' + ' | '.join(ALL_SCORES) + ' |',
           '|---|---:|' + '---:|' * len(ALL_SCORES)]
  for family, rows in families.items():
    cells = []
    for kind in ALL_SCORES:
      if not all(kind in row['validation_auroc'][c]
                 for row in rows for c in classes):
        cells.append('')
        continue
      means = [np.mean([row['validation_auroc'][c][kind] for c in classes])
               for row in rows]
      cells.append(f'{np.mean(means):.2f} ± {np.std(means):.2f}')
    lines.append(f'| {family} | {len(rows)} | ' + ' | '.join(cells) + ' |')
  return lines


def seed_family(setting: str) -> str:
  """The setting a row repeats with another seed: 'seed_1' -> 'base',
  'encoder_head+seed_2' -> 'encoder_head'."""
  parts = [part for part in setting.split('+')
           if not re.fullmatch(r'seed_\d+', part)]
  return '+'.join(parts) or 'base'


def seed_noise(results: Dict[str, Any]) -> Optional[str]:
  """How far each setting run with several seeds moves with the seed alone
  (its score's mean validation AUROC; also the head's, where trained), or
  None without such rows: a setting that moves less than the base's span
  is not distinguishable from noise."""
  classes = list(results['class_names'])
  sentences = []
  for family, rows in _seed_families(results).items():
    kinds = [rows[0].get('score', 'l1')]
    if all(config_lib.HEAD_SCORE in row['validation_auroc'][classes[0]]
           for row in rows) and kinds[0] != config_lib.HEAD_SCORE:
      kinds.append(config_lib.HEAD_SCORE)
    for kind in kinds:
      per_class = {c: [row['validation_auroc'][c][kind] for row in rows]
                   for c in classes}
      means = np.mean(list(per_class.values()), axis=0)  # one per seed row
      spans = ', '.join(f'{results["class_names"][c]} {np.ptp(v):.2f}'
                        for c, v in per_class.items())
      what = ('of the base' if family == 'base' else f'of {family}')
      score = '' if kind == 'l1' else f', score {kind}'
      sentences.append(
          f'Seed noise ({len(rows)} seeds {what}{score}: '
          f'{", ".join(row["setting"] for row in rows)}): the mean '
          f'validation AUROC spans {np.ptp(means):.2f} points '
          f'({min(means):.2f} to {max(means):.2f}); per class, max - min: '
          f'{spans}.')
  return '\n\n'.join(sentences) or None
