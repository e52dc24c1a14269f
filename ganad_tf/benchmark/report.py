"""A run's report: results.json and table.md from the per-class results."""

import os
import platform
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from ganad_tf import io_utils
from ganad_tf.benchmark import paper
from ganad_tf.benchmark import run_folder
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.data import registry
from ganad_tf.core import runtime
from ganad_tf.core.config import EVAL_SCORES, fingerprint
from ganad_tf.errors import OutputError
from ganad_tf.progress import format_duration

PARAMETER_SUFFIX = '_params'  # the keys of a Trainer's parameter_counts


def scoring_summary(scores: np.ndarray, labels: np.ndarray) -> Dict[str, float]:
  """Mean score of normal (label 0) and anomaly (label 1) test images."""
  return {'mean_score_normal': float(np.mean(scores[labels == 0])),
          'mean_score_anomaly': float(np.mean(scores[labels == 1]))}


def environment() -> Dict[str, Any]:
  """Versions and machine facts recorded beside every result."""
  import keras
  import tensorflow as tf
  return {'python': platform.python_version(), 'tensorflow': tf.__version__,
          'keras': keras.__version__, 'numpy': np.__version__,
          'platform': platform.platform(), 'cpu_count': os.cpu_count(),
          'gpus': len(tf.config.list_physical_devices('GPU')),
          **runtime.numerics()}


def _parameter_counts(details: Dict[str, Dict[str, Any]],
                      count_parameters: Callable[[], Dict[str, int]]
                      ) -> Dict[str, int]:
  for detail in details.values():
    counts = {key: value for key, value in detail.items()
              if key.endswith(PARAMETER_SUFFIX)}
    if counts:
      return counts
  # Every class finished before class results recorded the counts.
  return dict(count_parameters())


def class_seconds(detail: Dict[str, Any]) -> float:
  """A class's seconds, with the training time of the earlier invocations
  it resumed from when that was recorded (`seconds.train_all_runs`)."""
  seconds = detail['seconds']
  all_runs = seconds.get('train_all_runs')
  return seconds['total'] + (all_runs - seconds['train']
                             if all_runs is not None else 0.0)


def collect_results(config: BenchmarkConfig, data, classes: Sequence[int],
                    output_dir: str, wall_seconds: float,
                    command: Optional[str],
                    count_parameters: Callable[[], Dict[str, int]]
                    ) -> Dict[str, Any]:
  """Merges per-class results into results.json and table.md.

  Args:
    config: the run's configuration.
    data: the run's protocol.PreparedData (names, source, class count).
    classes: the normal classes of this run.
    output_dir: the run folder.
    wall_seconds: how long this invocation took.
    command: the command line, recorded in the outputs.
    count_parameters: the Trainer's `parameter_counts`; called only if no
      class result records them (classes finished by older versions).

  Returns:
    The contents of results.json.

  Raises:
    OutputError: a class has no valid result in `output_dir`.
  """
  run_fingerprint = fingerprint(config)
  per_class = {}
  details = {}
  for normal_class in classes:
    result = run_folder.load_class_result(output_dir, normal_class,
                                          run_fingerprint)
    if result is None:
      raise OutputError(f'Class {normal_class} has no result in {output_dir} '
                        'after running; rerun the command to finish it.')
    per_class[str(normal_class)] = result['auroc']
    details[str(normal_class)] = result
  values = np.array(list(per_class.values()))
  claimed = registry.get(data.name).paper_auroc
  results = {
      'dataset': data.name,
      'model': config.model.kind,
      'data_source': data.source,
      'class_names': {str(c): data.class_names[c] for c in classes},
      'per_class': per_class,
      'mean': float(values.mean()),
      'std': float(values.std()),
      'std_note': 'population standard deviation over classes (ddof=0)',
      'num_classes_run': len(classes),
      'complete': len(classes) == data.num_classes,
      **_parameter_counts(details, count_parameters),
      'paper': ({'mean': claimed[0], 'std': claimed[1]} if claimed else None),
      'config': config.to_dict(),
      'fingerprint': run_fingerprint,
      'timings': {
          'this_invocation_wall_seconds': wall_seconds,
          'sum_class_seconds': float(sum(
              class_seconds(d) for d in details.values())),
          'per_class_seconds': {c: d['seconds'] for c, d in details.items()},
      },
      'per_class_detail': details,
      'command': command,
      'environment': environment(),
  }
  io_utils.write_json(os.path.join(output_dir, run_folder.RESULTS_FILE),
                      results)
  io_utils.write_text(os.path.join(output_dir, run_folder.TABLE_FILE),
                      format_table(results))
  return results


def _budget(results: Dict[str, Any]) -> str:
  """The step budget's effect, when --min_steps was set."""
  min_steps = results['config']['train'].get('min_steps', 0)
  if not min_steps:
    return ''
  steps = [d['steps'] for d in results['per_class_detail'].values()]
  return (f'; step budget --min_steps={min_steps} (epochs and lr decay '
          f'stretched by a whole factor): {min(steps):,}-{max(steps):,} steps '
          'per class')


MODEL_TITLES = {'gan': 'the paper\'s method',
                'classifier': 'supervised classifier baseline',
                'autoencoder': 'auto-encoder baseline (G, L1 on normals)'}


def _parameter_line(results: Dict[str, Any]) -> str:
  paper_counts = (f'(paper: {paper.GENERATOR_PARAMS / 1000:g}K, '
                  f'{paper.DISCRIMINATOR_PARAMS / 1000:g}K)')
  if 'classifier_params' in results:
    return (f'Classifier {results["classifier_params"]:,} parameters (the '
            f'paper\'s G: {paper.GENERATOR_PARAMS / 1000:g}K).')
  if 'discriminator_params' in results:
    return (f'Generator {results["generator_params"]:,} parameters, '
            f'discriminator {results["discriminator_params"]:,} '
            f'{paper_counts}.')
  return (f'Generator {results["generator_params"]:,} parameters, no '
          f'discriminator (the paper\'s G: '
          f'{paper.GENERATOR_PARAMS / 1000:g}K).')


def _by_score_table(results: Dict[str, Any]) -> List[str]:
  """Test AUROC per class by every score kind the run recorded, when it
  recorded more than one (G's l1 / l2 / patch, and head with
  --encoder_head): one run then gives a table for each --score."""
  details = results.get('per_class_detail') or {}
  by_class = {c: d.get('test_auroc_by_score') or {} for c, d in
              details.items()}
  kinds = [k for k in EVAL_SCORES if all(k in v for v in by_class.values())]
  if not by_class or len(kinds) < 2:
    return []
  main = results['config']['eval']['score']
  lines = ['', 'Test AUROC (%) by anomaly score (the table above is '
           f'--score={main}):', '',
           '| normal class | ' + ' | '.join(kinds) + ' |',
           '|---:|' + '---:|' * len(kinds)]
  for c, values in by_class.items():
    lines.append(f'| {c} {results["class_names"][c]} | ' + ' | '.join(
        f'{values[k]:.2f}' for k in kinds) + ' |')
  columns = [np.array([v[k] for v in by_class.values()]) for k in kinds]
  lines.append('| **mean ± SD** | ' + ' | '.join(
      f'{col.mean():.2f} ± {col.std():.2f}' for col in columns) + ' |')
  return lines


def format_table(results: Dict[str, Any]) -> str:
  """Markdown table: our AUROC per class, mean and SD, beside the paper."""
  dataset = results['dataset']
  model = results.get('model', 'gan')
  title = dataset if model == 'gan' else f'{dataset}, {MODEL_TITLES[model]}'
  lines = [f'# {title}: AUROC (%) with each class as normal', '',
           '| normal class | name | AUROC (%) |', '|---:|---|---:|']
  for key, value in results['per_class'].items():
    lines.append(f'| {key} | {results["class_names"][key]} | {value:.2f} |')
  lines.append(f'| **mean ± SD** | {results["num_classes_run"]} classes | '
               f'**{results["mean"]:.2f} ± {results["std"]:.2f}** |')
  if results['paper']:
    lines.append(f'| paper (Sec. 4.3) | claimed | {results["paper"]["mean"]:.1f}'
                 f' ± {results["paper"]["std"]:.2f} |')
  if not results['complete']:
    lines += ['', f'Only {results["num_classes_run"]} classes were run, so '
              'the mean is not comparable with the paper\'s.']
  lines += _by_score_table(results)
  train = results['config']['train']
  timings = results['timings']
  lines += [
      '', 'SD is the population standard deviation over classes. '
      f'{_parameter_line(results)}',
      f'Training: {train["epochs"]} epochs, batch {train["batch_size"]}, '
      f'lr {train["learning_rate"]:g} (x{train["lr_decay_factor"]:g} every '
      f'{train["lr_decay_epochs"]} epochs), Adam betas '
      f'({train["adam_beta1"]:g}, {train["adam_beta2"]:g}), augmentation '
      f'{train["augment"]!r}, seed {train["seed"]}{_budget(results)}.',
      f'Time: {format_duration(timings["sum_class_seconds"])} summed over '
      f'classes; this invocation took '
      f'{format_duration(timings["this_invocation_wall_seconds"])} wall clock.',
      f'Data: {results["data_source"]}.',
  ]
  if results.get('command'):
    lines += ['', 'Command:', '', '```', results['command'], '```']
  return '\n'.join(lines) + '\n'
