r"""Measures training and inference throughput as the benchmark runs them.

With no flags, a quick look (about a minute on 2 cores): the paper's batch
1 on one- and three-channel 32x32 images, one process using every core,
with oneDNN as the entry points choose it. The full sweep:

  python -m experiments.speed --flagfile=experiments/presets/cpu.cfg \
      --flagfile=experiments/presets/speed_full.cfg \
      --output=results/speed/speed_cpu_preset.json

and oneDNN on against off, alternating in one sitting:

  python -m experiments.speed --batch_sizes=1,16 --onednn=off,on

Each measurement runs in fresh processes with a given thread count: one
process, and N processes side by side (as `--jobs=N` runs benchmark
classes), so the machine's total throughput is measured too. Training runs
one epoch of `Trainer.fit` with the schedule the flags give (a preset via
--flagfile), after a first fit that traces. Inference: --inference_images
images, batch --eval_batch_size, as in Fig. 2 (10,000 images there).
"""

import json
import os
import platform
import subprocess
import sys

from absl import app
from absl import flags

from experiments import flags as experiment_flags
from ganad_tf import io_utils
from ganad_tf.core import runtime

experiment_flags.define_config_flags()
flags.DEFINE_list('shapes', ['32x32x1', '32x32x3'], 'Input shapes HxWxC.')
flags.DEFINE_list('batch_sizes', None, 'Training batch sizes to measure '
                  '(default: --batch_size).')
flags.DEFINE_integer('group_size', 2000, 'Images per group (the benchmark '
                     'has 6,000 normal + 6,000 anomaly for (Fashion-)MNIST; '
                     'steps/s do not depend on it, one epoch\'s time does).')
flags.DEFINE_list('layouts', ['1x0'], 'PROCESSESxTHREADS to measure, e.g. '
                  '2x1 = two 1-thread processes side by side; THREADS 0 = '
                  'cores / PROCESSES.')
flags.DEFINE_list('onednn', ['policy'], 'oneDNN settings to measure, '
                  'alternating: policy (what entry points choose: off, or '
                  'your TF_ENABLE_ONEDNN_OPTS), off, on.')
flags.DEFINE_bool('inference', True, 'Also measure inference.')
flags.DEFINE_integer('inference_images', 10_000, 'Images per inference run.')
flags.DEFINE_integer('inference_repeats', 3, 'Inference runs (mean).')
flags.DEFINE_string('output', None, 'Write the numbers to this JSON file.')
flags.DEFINE_string('worker', None, 'Internal: run one measurement (JSON).')
# Our flags (not TensorFlow's or absl's) in --help.
flags.adopt_module_key_flags(experiment_flags)
FLAGS = flags.FLAGS


# --onednn's settings as TF_ENABLE_ONEDNN_OPTS values, and back for printing.
_ONEDNN_VALUES = {'off': '0', 'on': '1'}
_ON_OFF = {value: name for name, value in _ONEDNN_VALUES.items()}


def _shape(text):
  return tuple(int(v) for v in text.lower().split('x'))


def _run_worker(task):
  """One measurement in this process (threads set before TF starts)."""
  from ganad_tf.benchmark import speed
  config = experiment_flags.config_from_flags(FLAGS)
  runtime.configure(config.train.deterministic_ops, task['threads'])
  from ganad_tf.core import config as config_lib
  shape = tuple(task['shape'])
  if task['kind'] == 'train':
    config = config_lib.replace(config, train={'batch_size': task['batch']})
    result = speed.training_speed(shape, task['group_size'], config)
  else:
    result = speed.inference_speed(shape, task['images'], task['repeats'],
                                   config.eval.batch_size, config)
  result['numerics'] = runtime.numerics()
  print('RESULT ' + json.dumps(result))


def _onednn_value(setting: str) -> str:
  """TF_ENABLE_ONEDNN_OPTS for a worker, by --onednn's `setting`."""
  if setting == 'policy':
    return runtime.onednn_value()
  return _ONEDNN_VALUES[setting]


def _measure(task, processes, onednn: str):
  """Runs `processes` copies of a task side by side, with
  TF_ENABLE_ONEDNN_OPTS=`onednn`; returns their results."""
  command = [sys.executable, '-m', 'experiments.speed',
             '--worker=' + json.dumps(task)] + [
                 a for a in sys.argv[1:] if not a.startswith('--output')]
  # The workers get the same --verbosity, so experiments/__init__ quiets
  # TensorFlow's C++ logs in them as here, unless the user set the level.
  env = dict(os.environ, **{runtime.ONEDNN_VARIABLE: onednn})
  running = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                              env=env)
             for _ in range(processes)]
  results = []
  for process in running:
    out, _ = process.communicate()
    if process.returncode:
      raise RuntimeError(f'speed worker failed: {" ".join(command)}')
    results.append(json.loads(out.split('RESULT ', 1)[1]))
  return results


def _layouts(texts):
  """PROCESSESxTHREADS texts as (processes, threads), 0 threads resolved."""
  layouts = []
  for text in texts:
    processes, threads = (int(v) for v in text.lower().split('x'))
    layouts.append((processes,
                    threads or max(1, runtime.cpu_count() // processes)))
  return layouts


def main(argv):
  if FLAGS.worker:
    return _run_worker(json.loads(FLAGS.worker))
  experiment_flags.start_logging(argv)
  config = experiment_flags.config_from_flags(FLAGS)
  unknown = set(FLAGS.onednn) - {'policy', *_ONEDNN_VALUES}
  if unknown:
    raise app.UsageError(f'--onednn takes policy, off or on; got '
                         f'{", ".join(sorted(unknown))}.')
  import tensorflow as tf
  report = {'machine': {'platform': platform.platform(),
                        'cpu_count': os.cpu_count(),
                        'cpu_model': runtime.cpu_model(),
                        'tensorflow': tf.__version__},
            'config': config.to_dict(), 'group_size': FLAGS.group_size,
            'training': {}, 'inference': {}}
  batches = [int(b) for b in FLAGS.batch_sizes or [config.train.batch_size]]
  layouts = _layouts(FLAGS.layouts)
  for text in FLAGS.shapes:
    shape = _shape(text)
    for batch in batches:
      for processes, threads in layouts:
        for setting in FLAGS.onednn:
          onednn = _onednn_value(setting)
          task = {'kind': 'train', 'shape': shape, 'batch': batch,
                  'threads': threads, 'group_size': FLAGS.group_size}
          rows = _measure(task, processes, onednn)
          total = sum(r['images_per_second'] for r in rows)
          key = (f'{text}/batch{batch}/{processes}x{threads}/'
                 f'onednn{onednn}')
          report['training'][key] = {'processes': processes,
                                     'threads_per_process': threads,
                                     runtime.ONEDNN_VARIABLE: onednn,
                                     'total_images_per_second': total,
                                     'per_process': rows}
          print(f'train {text} batch {batch}, {processes} process(es) x '
                f'{threads} thread(s), oneDNN {_ON_OFF.get(onednn, onednn)}: '
                f'{total:.0f} img/s in all ({total / batch:.1f} steps/s), '
                'per process ' + ', '.join(
                    f'{r["images_per_second"]:.0f}' for r in rows),
                flush=True)
    if FLAGS.inference:
      for processes, threads in layouts:
        if processes != 1:
          continue
        for setting in FLAGS.onednn:
          onednn = _onednn_value(setting)
          task = {'kind': 'infer', 'shape': shape, 'threads': threads,
                  'images': FLAGS.inference_images,
                  'repeats': FLAGS.inference_repeats}
          result = _measure(task, 1, onednn)[0]
          report['inference'][f'{text}/{threads}threads/onednn{onednn}'] = (
              result)
          print(f'inference {text}, {threads} thread(s), oneDNN '
                f'{_ON_OFF.get(onednn, onednn)}: '
                f'{result["images_per_second"]:.0f} img/s (batch '
                f'{result["batch_size"]}; paper: 532 img/s on a GTX 1080 Ti)',
                flush=True)
  if FLAGS.output:
    io_utils.write_json(FLAGS.output, report)
    print(f'Wrote {FLAGS.output}')


if __name__ == '__main__':
  experiment_flags.run(main)
