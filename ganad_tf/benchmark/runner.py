"""The paper's benchmark protocol (Sec. 4.1, 4.3), resumable and parallel.

One class is normal, all others are anomalies. For each normal class: all of
its training images plus as many anomalies, sampled equally from the other
classes with k-means (Sec. 3.5); train; score the whole test split; AUROC.

Output folder:
  config.json          the run's configuration and benchmark settings
  results.json         per-class AUROC, mean, SD, parameters, timings
  table.md             our AUROC per class beside the paper's claim
  class_NN/result.json that class's result (written last: marks it done)
  class_NN/scores.npz  raw test scores, labels and original classes
  class_NN/generator.keras  the trained generator (for figures and reuse)
  class_NN/checkpoints, class_NN/summaries

A rerun of the same command skips finished classes, resumes unfinished ones
from their newest checkpoint, and rebuilds the table.
"""

import dataclasses
import logging
import multiprocessing
import os
import platform
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ganad_tf.data import datasets
from ganad_tf.core import distribute
from ganad_tf import io_utils
from ganad_tf.core import metrics
from ganad_tf.benchmark import paper
from ganad_tf.core import runtime
from ganad_tf.data import sampling
from ganad_tf.data import splits
from ganad_tf.core.config import SCORES, ExperimentConfig, fingerprint
from ganad_tf.errors import ConfigError, OutputError
from ganad_tf.progress import format_duration

logger = logging.getLogger('ganad_tf')

RESULT_FILE = 'result.json'
SCORES_FILE = 'scores.npz'
GENERATOR_FILE = 'generator.keras'


@dataclasses.dataclass
class PreparedData(datasets.LabeledImages):
  """A dataset scaled to float [-1, 1] at the model's input size, with the
  validation split (if any) carved out of its training images."""
  validation_images: Optional[np.ndarray] = None
  validation_labels: Optional[np.ndarray] = None


@dataclasses.dataclass
class ClassSplit:
  """Training and evaluation data for one normal class.

  Labels of evaluation images are 1 for anomalies, 0 for normal images.
  """
  normal_class: int
  train_normal: np.ndarray
  train_anomaly: np.ndarray
  train_anomaly_classes: np.ndarray
  test_images: np.ndarray
  test_labels: np.ndarray
  test_classes: np.ndarray
  validation_images: Optional[np.ndarray] = None
  validation_labels: Optional[np.ndarray] = None


def prepare_data(config: ExperimentConfig) -> PreparedData:
  """Loads, scales and resizes a dataset; carves out validation data."""
  data_cfg = config.data
  raw = datasets.load_dataset(data_cfg.dataset, data_cfg.data_dir,
                              data_cfg.tfds_data_dir)
  train_images = datasets.preprocess_images(raw.train_images,
                                            data_cfg.image_size)
  test_images = datasets.preprocess_images(raw.test_images,
                                           data_cfg.image_size)
  prepared = PreparedData(raw.name, train_images, raw.train_labels,
                          test_images, raw.test_labels, list(raw.class_names),
                          raw.source)
  if data_cfg.validation_fraction > 0:
    held_out = splits.validation_mask(raw.train_labels,
                                      data_cfg.validation_fraction,
                                      data_cfg.sampling_seed)
    prepared.validation_images = train_images[held_out]
    prepared.validation_labels = raw.train_labels[held_out]
    prepared.train_images = train_images[~held_out]
    prepared.train_labels = raw.train_labels[~held_out]
  return prepared


def check_normal_classes(classes: Optional[Sequence[int]],
                         num_classes: int, dataset: str) -> List[int]:
  """All classes when None; otherwise checks each is in range."""
  if classes is None or len(classes) == 0:
    return list(range(num_classes))
  for value in classes:
    if not 0 <= int(value) < num_classes:
      raise ConfigError(f'Normal class {value} is out of range for {dataset}, '
                        f'which has classes 0..{num_classes - 1}; fix '
                        '--normal_classes.')
  if len(set(classes)) != len(classes):
    raise ConfigError(f'--normal_classes lists a class twice: {list(classes)}.')
  return [int(c) for c in classes]


def make_split(data: PreparedData, normal_class: int,
               config: ExperimentConfig) -> ClassSplit:
  """Applies the protocol for one normal class (with k-means sampling)."""
  data_cfg = config.data
  is_normal = data.train_labels == normal_class
  anomaly_index = sampling.sample_anomalies(
      data.train_images, data.train_labels, normal_class,
      data_cfg.anomaly_total, data_cfg.kmeans_k, data_cfg.sampling_seed)
  split = ClassSplit(
      normal_class=normal_class,
      train_normal=data.train_images[is_normal],
      train_anomaly=data.train_images[anomaly_index],
      train_anomaly_classes=data.train_labels[anomaly_index],
      test_images=data.test_images,
      test_labels=(data.test_labels != normal_class).astype(np.int64),
      test_classes=data.test_labels)
  if data.validation_images is not None:
    split.validation_images = data.validation_images
    split.validation_labels = (data.validation_labels !=
                               normal_class).astype(np.int64)
  return split


def class_dir(output_dir: str, normal_class: int) -> str:
  return os.path.join(output_dir, f'class_{normal_class:02d}')


def load_class_result(output_dir: str, normal_class: int,
                      expected_fingerprint: str) -> Optional[Dict[str, Any]]:
  """A finished class's result, or None if absent, stale or unreadable."""
  folder = class_dir(output_dir, normal_class)
  path = os.path.join(folder, RESULT_FILE)
  if not os.path.exists(path):
    return None
  try:
    result = io_utils.read_json(path)
  except (OSError, ValueError) as error:
    logger.warning('Ignoring unreadable %s (%s); class %d will be rerun.',
                   path, error, normal_class)
    return None
  if result.get('fingerprint') != expected_fingerprint:
    return None
  if not os.path.exists(os.path.join(folder, SCORES_FILE)):
    logger.warning('%s has no %s; class %d will be rescored.', folder,
                   SCORES_FILE, normal_class)
    return None
  return result


class Session:
  """Caches prepared data and traced Trainers within one process.

  A Trainer traces its graph once and then fits any config with the same
  `structure_key`, so benchmark classes, ablation rows and grid points that
  share a structure reuse one graph instead of tracing again.
  """

  def __init__(self, strategy=None):
    self.strategy = strategy
    self._data = {}
    self._trainers = {}

  def data(self, config: ExperimentConfig) -> PreparedData:
    cfg = config.data
    key = (cfg.dataset, cfg.data_dir, cfg.tfds_data_dir, cfg.image_size,
           cfg.validation_fraction, cfg.sampling_seed)
    if key not in self._data:
      self._data[key] = prepare_data(config)
    return self._data[key]

  def trainer(self, config: ExperimentConfig, image_shape, dataset: str):
    from ganad_tf.core.trainer import shared_trainer  # TF only if needed.
    return shared_trainer(self._trainers, config, image_shape, dataset,
                          self.strategy)


class ClassRunner:
  """Trains and scores normal classes one after another.

  Trainers come from a Session, so their traced graphs are reused for every
  class (and across runs that share the session).
  """

  def __init__(self, config: ExperimentConfig, data: PreparedData,
               output_dir: Optional[str], session: Optional[Session] = None):
    self.config = config
    self.data = data
    self.output_dir = output_dir
    self.fingerprint = fingerprint(config)
    self.session = session or Session()
    self._scorers = {}

  @property
  def trainer(self):
    return self.session.trainer(self.config, self.data.train_images.shape[1:],
                                self.data.name)

  def scorer(self, kind: str):
    """A compiled Scorer of the trainer's generator, traced once per kind."""
    from ganad_tf.core.scoring import Scorer
    generator = self.trainer.generator
    key = (id(generator), kind)
    if key not in self._scorers:
      config = self.config
      scorer = Scorer(generator, config.eval.batch_size, kind,
                      config.train.patch_size, config.train.patch_stride)
      scorer.scores(self.data.test_images[:1])  # trace outside the timing
      self._scorers[key] = scorer
    return self._scorers[key]

  def run(self, normal_class: int) -> Dict[str, Any]:
    """Trains on one normal class, scores the test split, saves results."""
    from ganad_tf.core.scoring import weights_are_finite
    config = self.config
    name = self.data.class_names[normal_class]
    prefix = f'[class {normal_class}: {name}] '
    started = time.monotonic()
    split = make_split(self.data, normal_class, config)
    folder = class_dir(self.output_dir, normal_class) if self.output_dir else None
    sampled = time.monotonic()
    trainer = self.trainer
    train_result = trainer.fit(split.train_normal, split.train_anomaly,
                               run_dir=folder, config=config,
                               log_prefix=prefix)
    logger.info('%s%s', prefix, trainer.describe())
    trained = time.monotonic()
    if not weights_are_finite(trainer.generator):
      raise FloatingPointError(f'{prefix}the trained generator has NaN/Inf '
                               'weights; refusing to score it.')
    scorer = self.scorer(config.eval.score)
    score_started = time.monotonic()  # after the scorer's one-off tracing
    scores = scorer.scores(split.test_images)
    scored = time.monotonic()
    auroc = metrics.auroc(split.test_labels, scores)
    result = {
        'normal_class': normal_class,
        'class_name': name,
        'auroc': auroc,
        'fingerprint': self.fingerprint,
        'num_train_normal': int(len(split.train_normal)),
        'num_train_anomaly': int(len(split.train_anomaly)),
        'train_anomaly_per_class': {
            str(c): int(n) for c, n in zip(*np.unique(
                split.train_anomaly_classes, return_counts=True))},
        'num_test': int(len(split.test_labels)),
        'num_test_anomaly': int(split.test_labels.sum()),
        'steps': train_result.steps,
        'steps_per_epoch': train_result.steps_per_epoch,
        'resumed_from_step': train_result.resumed_from_step,
        'final_losses': train_result.final_losses,
        'train_images_per_second': train_result.images_per_second,
        'inference_images_per_second': len(scores) / max(
            scored - score_started, 1e-9),
        'seconds': {'sampling': sampled - started, 'train': trained - sampled,
                    'score': scored - score_started,
                    'total': scored - started},
        **scoring_summary(scores, split.test_labels),
    }
    if split.validation_images is not None:
      by_score = {
          kind: metrics.auroc(split.validation_labels,
                              self.scorer(kind).scores(
                                  split.validation_images))
          for kind in SCORES}
      result['validation_auroc'] = by_score[config.eval.score]
      result['validation_auroc_by_score'] = by_score
    if folder and trainer.is_chief():
      io_utils.save_keras_model(os.path.join(folder, GENERATOR_FILE),
                                trainer.generator)
      # Scores before the result: result.json marks the class as done.
      io_utils.save_npz(os.path.join(folder, SCORES_FILE),
                        scores=scores.astype(np.float32),
                        labels=split.test_labels,
                        test_classes=split.test_classes)
      io_utils.write_json(os.path.join(folder, RESULT_FILE), result)
    logger.info('%sAUROC %.2f%% (train %s, score %s)', prefix, auroc,
                format_duration(trained - sampled),
                format_duration(scored - score_started))
    return result


def scoring_summary(scores: np.ndarray, labels: np.ndarray) -> Dict[str, float]:
  return {'mean_score_normal': float(np.mean(scores[labels == 0])),
          'mean_score_anomaly': float(np.mean(scores[labels == 1]))}


def _exit_with_parent(parent_pid: int, poll_seconds: float = 1.0):
  """Ends this worker if the benchmark process that started it dies.

  A killed parent cannot stop its workers; without this they would keep
  training as orphans. Finished classes are saved, so nothing is lost.
  """
  def watch():
    while True:
      if os.getppid() != parent_pid:
        os._exit(3)  # pylint: disable=protected-access
      time.sleep(poll_seconds)

  threading.Thread(target=watch, daemon=True, name='parent-watch').start()


def _run_shard(config_values: Dict[str, Any], classes: List[int],
               output_dir: str, threads: int, log_level: int,
               parent_pid: int):
  """Worker-process entry: runs some classes sequentially."""
  _exit_with_parent(parent_pid)
  logging.basicConfig(level=log_level,
                      format='%(asctime)s %(levelname)s %(message)s')
  logging.getLogger('ganad_tf').setLevel(log_level)
  from ganad_tf import logs
  logs.configure()  # the parent's --verbosity, passed on in the environment
  config = ExperimentConfig.from_dict(config_values)
  runtime.configure(config.train.deterministic_ops, threads)
  runner = ClassRunner(config, prepare_data(config), output_dir)
  for normal_class in classes:
    runner.run(normal_class)


def environment() -> Dict[str, Any]:
  """Versions and machine facts recorded beside every result."""
  import keras
  import tensorflow as tf
  return {'python': platform.python_version(), 'tensorflow': tf.__version__,
          'keras': keras.__version__, 'numpy': np.__version__,
          'platform': platform.platform(), 'cpu_count': os.cpu_count(),
          'gpus': len(tf.config.list_physical_devices('GPU'))}


def run_benchmark(config: ExperimentConfig, output_dir: str,
                  normal_classes: Optional[Sequence[int]] = None,
                  jobs: int = 1, command: Optional[str] = None,
                  overwrite: bool = False,
                  session: Optional[Session] = None) -> Dict[str, Any]:
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
    session: caches data and traced Trainers across calls in one process
      (ablation rows, grid points).

  Returns:
    The contents of results.json.

  Raises:
    ConfigError, DatasetError, OutputError: bad flags, data or folder, each
      before anything is written.
  """
  config.validate()
  if jobs < 1:
    raise ConfigError(f'--jobs={jobs} must be >= 1.')
  started = time.monotonic()
  # Everything that can fail on bad input fails before anything is written.
  output_dir = io_utils.check_writable_location(output_dir)
  run_fingerprint = fingerprint(config)
  _check_existing_run(output_dir, run_fingerprint, overwrite)
  session = session or Session()
  data = session.data(config)
  classes = check_normal_classes(normal_classes, data.num_classes,
                                 data.name)
  output_dir = io_utils.ensure_writable_dir(output_dir)
  if distribute.is_chief(session.strategy):
    io_utils.write_json(os.path.join(output_dir, 'config.json'), {
        'fingerprint': run_fingerprint, 'config': config.to_dict(),
        'normal_classes': classes, 'jobs': jobs, 'command': command})
  pending = [c for c in classes
             if load_class_result(output_dir, c, run_fingerprint) is None]
  if len(pending) < len(classes):
    logger.info('%d of %d classes already finished in %s; running %s.',
                len(classes) - len(pending), len(classes), output_dir,
                pending or 'none')
  jobs = min(jobs, max(len(pending), 1))
  if pending and jobs > 1:
    _run_parallel(config, pending, output_dir, jobs)
  elif pending:
    runner = ClassRunner(config, data, output_dir, session)
    for index, normal_class in enumerate(pending):
      runner.run(normal_class)
      elapsed = time.monotonic() - started
      left = len(pending) - index - 1
      logger.info('Finished %d/%d classes in %s; ETA %s.', index + 1,
                  len(pending), format_duration(elapsed),
                  format_duration(elapsed / (index + 1) * left))
  if not distribute.is_chief(session.strategy):
    return {}  # the chief worker writes the results
  results = collect_results(config, data, classes, output_dir,
                            time.monotonic() - started, command)
  return results


def _check_existing_run(output_dir: str, run_fingerprint: str,
                        overwrite: bool):
  path = os.path.join(output_dir, 'config.json')
  if not os.path.exists(path) or overwrite:
    return
  try:
    previous = io_utils.read_json(path).get('fingerprint')
  except (OSError, ValueError):
    return  # An unreadable config.json is rewritten; class results decide.
  if previous != run_fingerprint:
    raise OutputError(
        f'{output_dir} holds a benchmark run made with a different '
        f'configuration (fingerprint {previous}, now {run_fingerprint}). Use '
        'another --output_dir, or pass --overwrite to rerun every class with '
        'the new configuration.')


def _run_parallel(config: ExperimentConfig, classes: List[int],
                  output_dir: str, jobs: int):
  """Runs shards of the classes in `jobs` spawned processes."""
  threads = max(1, (os.cpu_count() or 1) // jobs)
  shards = [classes[i::jobs] for i in range(jobs)]
  logger.info('Running %d worker processes with %d thread(s) each: %s', jobs,
              threads, shards)
  context = multiprocessing.get_context('spawn')
  processes = [
      context.Process(target=_run_shard,
                      args=(config.to_dict(), shard, output_dir, threads,
                            logging.getLogger('ganad_tf').getEffectiveLevel(),
                            os.getpid()),
                      name=f'ganad-worker-{i}', daemon=True)
      for i, shard in enumerate(shards)]
  for process in processes:
    process.start()
  failed = []
  for process in processes:
    process.join()
    if process.exitcode != 0:
      failed.append(f'{process.name} (exit code {process.exitcode})')
  if failed:
    raise RuntimeError(
        f'Worker processes failed: {", ".join(failed)}; their error is '
        'logged above. Finished classes are saved; rerun the same command to '
        'resume.')


def collect_results(config: ExperimentConfig, data: PreparedData,
                    classes: Sequence[int], output_dir: str,
                    wall_seconds: float,
                    command: Optional[str]) -> Dict[str, Any]:
  """Merges per-class results into results.json and table.md."""
  from ganad_tf.core import models
  run_fingerprint = fingerprint(config)
  per_class = {}
  details = {}
  for normal_class in classes:
    result = load_class_result(output_dir, normal_class, run_fingerprint)
    if result is None:
      raise OutputError(f'Class {normal_class} has no result in {output_dir} '
                        'after running; rerun the command to finish it.')
    per_class[str(normal_class)] = result['auroc']
    details[str(normal_class)] = result
  values = np.array(list(per_class.values()))
  image_shape = (config.data.image_size, config.data.image_size,
                 data.train_images.shape[-1])
  model_cfg = config.model
  generator = models.build_generator(image_shape, model_cfg.base_channels,
                                     model_cfg.norm)
  discriminator = models.build_discriminator(
      image_shape, model_cfg.base_channels, model_cfg.norm,
      model_cfg.disc_final_channels)
  claimed = paper.BENCHMARK_AUROC.get(data.name)
  results = {
      'dataset': data.name,
      'data_source': data.source,
      'class_names': {str(c): data.class_names[c] for c in classes},
      'per_class': per_class,
      'mean': float(values.mean()),
      'std': float(values.std()),
      'std_note': 'population standard deviation over classes (ddof=0)',
      'num_classes_run': len(classes),
      'complete': len(classes) == data.num_classes,
      'generator_params': models.count_trainable_params(generator),
      'discriminator_params': models.count_trainable_params(discriminator),
      'paper': ({'mean': claimed[0], 'std': claimed[1]} if claimed else None),
      'config': config.to_dict(),
      'fingerprint': run_fingerprint,
      'timings': {
          'this_invocation_wall_seconds': wall_seconds,
          'sum_class_seconds': float(sum(
              d['seconds']['total'] for d in details.values())),
          'per_class_seconds': {c: d['seconds'] for c, d in details.items()},
      },
      'per_class_detail': details,
      'command': command,
      'environment': environment(),
  }
  io_utils.write_json(os.path.join(output_dir, 'results.json'), results)
  io_utils.write_text(os.path.join(output_dir, 'table.md'),
                      format_table(results))
  return results


def format_table(results: Dict[str, Any]) -> str:
  """Markdown table: our AUROC per class, mean and SD, beside the paper."""
  dataset = results['dataset']
  lines = [f'# {dataset}: AUROC (%) with each class as normal', '',
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
  train = results['config']['train']
  timings = results['timings']
  lines += [
      '', f'SD is the population standard deviation over classes. '
      f'Generator {results["generator_params"]:,} parameters, discriminator '
      f'{results["discriminator_params"]:,} (paper: 97.75K, 76.39K).',
      f'Training: {train["epochs"]} epochs, batch {train["batch_size"]}, '
      f'lr {train["learning_rate"]:g} (x{train["lr_decay_factor"]:g} every '
      f'{train["lr_decay_epochs"]} epochs), Adam betas '
      f'({train["adam_beta1"]:g}, {train["adam_beta2"]:g}), augmentation '
      f'{train["augment"]!r}, seed {train["seed"]}.',
      f'Time: {format_duration(timings["sum_class_seconds"])} summed over '
      f'classes; this invocation took '
      f'{format_duration(timings["this_invocation_wall_seconds"])} wall clock.',
      f'Data: {results["data_source"]}.',
  ]
  if results.get('command'):
    lines += ['', 'Command:', '', '```', results['command'], '```']
  return '\n'.join(lines) + '\n'


def command_line() -> str:
  """The current command line, for the record."""
  return ' '.join([os.path.basename(sys.executable), '-m',
                   _module_name()] + sys.argv[1:])


def _module_name() -> str:
  main = sys.modules.get('__main__')
  spec = getattr(main, '__spec__', None)
  return spec.name if spec and spec.name else (sys.argv[0] if sys.argv else '')
