"""The paper's benchmark (Sec. 4.1, 4.3) over many classes, resumable.

`run_benchmark` checks everything that can fail on bad input, skips the
classes a run folder already holds (see run_folder), trains the rest in
this process or in worker processes (see parallel), and writes the report.
"""

import dataclasses
import logging
import os
import time
from typing import Any, Dict, List, Optional, Sequence

from ganad_tf import io_utils
from ganad_tf.benchmark import parallel
from ganad_tf.benchmark import protocol
from ganad_tf.benchmark import report
from ganad_tf.benchmark import run_folder
from ganad_tf.benchmark.class_runner import ClassRunner, TrainerCache
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import distribute
from ganad_tf.core.config import fingerprint
from ganad_tf.errors import ConfigError
from ganad_tf.progress import format_duration

logger = logging.getLogger('ganad_tf')


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
  written. Arguments as for run_benchmark.
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


def train_pending_in_parallel(configs: Dict[str, BenchmarkConfig],
                              normal_classes: Optional[Sequence[int]],
                              jobs: int, command: Optional[str] = None,
                              cache: Optional[TrainerCache] = None):
  """Trains the unfinished classes of several runs in `jobs` processes.

  Args:
    configs: run folder -> its config (study settings, grid points).
    normal_classes, jobs, command, cache: as for run_benchmark.

  One queue over every run's classes keeps all workers busy where each run
  alone has fewer classes than jobs. Collect each run's results afterwards
  with run_benchmark, which then finds nothing left to train.
  """
  cache = cache or TrainerCache()
  tasks = []
  for output_dir, config in configs.items():
    plan = plan_run(config, output_dir, normal_classes, jobs, command,
                    cache=cache)
    tasks += [parallel.Task(config, plan.output_dir, c) for c in plan.pending]
  logger.info('%d class run(s) left over %d run folder(s).', len(tasks),
              len(configs))
  if tasks:
    parallel.run_tasks(tasks, jobs)


def run_benchmark(config: BenchmarkConfig, output_dir: str,
                  normal_classes: Optional[Sequence[int]] = None,
                  jobs: int = 1, command: Optional[str] = None,
                  overwrite: bool = False,
                  cache: Optional[TrainerCache] = None) -> Dict[str, Any]:
  """Runs (or resumes) the benchmark and writes results.json and table.md.

  Args:
    config: the experiment configuration (config.data names the dataset).
    output_dir: the run folder.
    normal_classes: classes to treat as normal in turn; None means all.
    jobs: parallel worker processes, each running a share of the classes
      with cores/jobs threads.
    command: the command line, recorded in the outputs.
    overwrite: discard finished class results whose configuration differs
      instead of refusing to run.
    cache: keeps data and traced Trainers across calls in one process
      (ablation rows, grid points).

  Returns:
    The contents of results.json (empty on workers other than the chief).

  Raises:
    ConfigError, DatasetError, OutputError: bad flags, data or folder, each
      before anything is written.
  """
  started = time.monotonic()
  cache = cache or TrainerCache()
  plan = plan_run(config, output_dir, normal_classes, jobs, command,
                  overwrite, cache)
  output_dir, data, classes, pending = (plan.output_dir, plan.data,
                                        plan.classes, plan.pending)
  jobs = min(jobs, max(len(pending), 1))
  runner = ClassRunner(config, data, output_dir, cache)
  if pending and jobs > 1:
    parallel.run_parallel(config, pending, output_dir, jobs)
  elif pending:
    for index, normal_class in enumerate(pending):
      runner.run(normal_class)
      elapsed = time.monotonic() - started
      left = len(pending) - index - 1
      logger.info('Finished %d/%d classes in %s; ETA %s.', index + 1,
                  len(pending), format_duration(elapsed),
                  format_duration(elapsed / (index + 1) * left))
  if not distribute.is_chief(cache.strategy):
    return {}  # the chief worker writes the results
  return report.collect_results(
      config, data, classes, output_dir, time.monotonic() - started, command,
      count_parameters=lambda: runner.trainer.parameter_counts())
