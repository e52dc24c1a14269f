"""Several benchmark runs as one sweep, resumable.

A sweep is a set of run folders, each with its configuration: one folder
for a benchmark, one per setting, grid point or ablation row for the
studies. `run_sweep` checks and plans every folder once (everything that
can fail on bad input fails before anything is trained), trains every
unfinished class of every folder (in this process, or in worker processes
that take them from one queue), and writes each folder's results.json and
table.md. Study, grid search and ablation are named configs, a row per run
and a table over one `run_sweep` call; `runner.run_benchmark` is a sweep of
one.
"""

import dataclasses
import logging
import os
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ganad_tf import io_utils
from ganad_tf.benchmark import parallel
from ganad_tf.benchmark import protocol
from ganad_tf.benchmark import report
from ganad_tf.benchmark import run_folder
from ganad_tf.benchmark.class_runner import ClassRunner, TrainerCache
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import distribute
from ganad_tf.core import config as config_lib
from ganad_tf.core.config import fingerprint
from ganad_tf.errors import ConfigError
from ganad_tf.progress import format_duration

logger = logging.getLogger('ganad_tf')

# Every sweep table's reference row: the baseline a user would try first,
# trained on the same data with the same schedule, in this sub-folder.
BASELINE = 'classifier'


@dataclasses.dataclass
class RunPlan:
  """A checked run folder: its data, its classes and those not yet done."""
  output_dir: str
  data: protocol.PreparedData
  classes: List[int]
  pending: List[int]


def plan_run(config: BenchmarkConfig, output_dir: str,
             normal_classes: Optional[Sequence[int]] = None,
             jobs: int = 1, command: Optional[str] = None,
             overwrite: bool = False,
             cache: Optional[TrainerCache] = None) -> RunPlan:
  """Checks a run, writes its config.json and finds the unfinished classes.

  Everything that can fail on bad input fails here, before anything is
  written. Arguments as for run_sweep.
  """
  config.validate()
  if jobs < 1:
    raise ConfigError(f'--jobs={jobs} must be >= 1.')
  output_dir = io_utils.check_writable_location(output_dir)
  run_fingerprint = fingerprint(config)
  run_folder.check_existing_run(output_dir, run_fingerprint, overwrite)
  cache = cache or TrainerCache()
  data = cache.data(config)
  classes = protocol.check_normal_classes(normal_classes, data.num_classes,
                                          data.name)
  output_dir = io_utils.ensure_writable_dir(output_dir)
  if distribute.is_chief(cache.strategy):
    io_utils.write_json(os.path.join(output_dir, run_folder.CONFIG_FILE), {
        'fingerprint': run_fingerprint, 'config': config.to_dict(),
        'normal_classes': classes, 'jobs': jobs, 'command': command})
  pending = [c for c in classes if run_folder.load_class_result(
      output_dir, c, run_fingerprint) is None]
  if len(pending) < len(classes):
    logger.info('%d of %d classes already finished in %s; running %s.',
                len(classes) - len(pending), len(classes), output_dir,
                pending or 'none')
  return RunPlan(output_dir, data, classes, pending)


def run_sweep(runs: Mapping[str, BenchmarkConfig],
              normal_classes: Optional[Sequence[int]] = None,
              jobs: int = 1, command: Optional[str] = None,
              overwrite: bool = False,
              cache: Optional[TrainerCache] = None
              ) -> Dict[str, Dict[str, Any]]:
  """Runs (or resumes) every run folder of a sweep.

  Args:
    runs: run folder -> its configuration.
    normal_classes: classes to treat as normal in turn, in every run; None
      means all.
    jobs: worker processes (each with cores/jobs threads) taking the
      unfinished (folder, class) runs of all folders from one queue; 1
      trains them one after another in this process.
    command: the command line, recorded in the outputs.
    overwrite: discard finished class results whose configuration differs
      instead of refusing to run.
    cache: keeps data and traced Trainers across runs in this process.

  Returns:
    Run folder (as given) -> the contents of its results.json; empty on
    workers other than the chief.

  Raises:
    ConfigError, DatasetError, OutputError: bad flags, data or folder, each
      before anything is trained.
  """
  started = time.monotonic()
  cache = cache or TrainerCache()
  configs = dict(runs)
  plans = {folder: plan_run(config, folder, normal_classes, jobs, command,
                            overwrite, cache)
           for folder, config in configs.items()}
  runners = {folder: ClassRunner(configs[folder], plan.data, plan.output_dir,
                                 cache)
             for folder, plan in plans.items()}
  pending = [(folder, c) for folder, plan in plans.items()
             for c in plan.pending]
  if len(configs) > 1:
    logger.info('%d class run(s) left over %d run folder(s).', len(pending),
                len(configs))
  if min(jobs, len(pending)) > 1:
    parallel.run_tasks([parallel.Task(configs[folder],
                                      plans[folder].output_dir, c)
                        for folder, c in pending], jobs)
  else:
    for index, (folder, normal_class) in enumerate(pending):
      runners[folder].run(normal_class)
      elapsed = time.monotonic() - started
      logger.info('Finished %d/%d class runs in %s; ETA %s.', index + 1,
                  len(pending), format_duration(elapsed),
                  format_duration(elapsed / (index + 1)
                                  * (len(pending) - index - 1)))
  if not distribute.is_chief(cache.strategy):
    return {}  # the chief worker writes the results
  wall_seconds = time.monotonic() - started
  # Parameter counts come from class results; a Trainer is built only for
  # classes finished by versions that did not record them.
  return {folder: report.collect_results(
      configs[folder], plan.data, plan.classes, plan.output_dir,
      wall_seconds, command,
      count_parameters=lambda r=runners[folder]: r.trainer.parameter_counts())
          for folder, plan in plans.items()}


def write_summary(output_dir: str, json_name: str, results: Dict[str, Any],
                  table: str) -> None:
  """Writes a sweep's `json_name` and table.md (with the command that made
  it, if `results` records one) into `output_dir`."""
  io_utils.write_json(os.path.join(output_dir, json_name), results)
  if results.get('command'):
    table += f'\n```\n{results["command"]}\n```\n'
  io_utils.write_text(os.path.join(output_dir, 'table.md'), table)


def add_baseline(configs: Dict[str, BenchmarkConfig], base: BenchmarkConfig,
                 output_dir: str) -> str:
  """Adds the BASELINE run of `base` to a sweep's configs; its folder."""
  folder = os.path.join(output_dir, BASELINE)
  configs[folder] = config_lib.replace(base, model={'kind': BASELINE})
  return folder


def baseline_entry(outcome: Dict[str, Any]) -> Dict[str, Any]:
  """What a sweep table shows of the baseline run: AUROC per class, mean,
  SD, and with a validation split the mean validation AUROC."""
  details = outcome['per_class_detail'].values()
  validation = [d['validation_auroc'] for d in details
                if 'validation_auroc' in d]
  return {'model': outcome['model'], 'per_class': outcome['per_class'],
          'mean': outcome['mean'], 'std': outcome['std'],
          'validation_auroc': (float(sum(validation) / len(validation))
                               if validation else None)}
