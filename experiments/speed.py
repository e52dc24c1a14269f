r"""Measures training and inference throughput; prints ratios.

  python -m experiments.speed --output=results/speed/speed.json

For 32x32x1 and 32x32x3 inputs: training images/s of the compiled loop at
batch 1 and at the preset batch, the same step called once per step from
Python, and run eagerly (ratios from the same run); inference images/s over
10 x 10,000 images as in the paper's Fig. 2; parameters of G and D.
"""

import json
import os
import platform

from absl import app
from absl import flags

from experiments import flags as experiment_flags
from ganad_tf import io_utils
from ganad_tf import speed

flags.DEFINE_list('shapes', ['32x32x1', '32x32x3'], 'Input shapes HxWxC.')
flags.DEFINE_list('batch_sizes', ['1', '16'], 'Training batch sizes (1 is '
                  'the paper\'s; 16 the CPU preset\'s).')
flags.DEFINE_list('variants', ['compiled', 'per_step', 'eager'],
                  'Training variants: compiled, per_step, eager, xla.')
flags.DEFINE_integer('steps', 60, 'Steps per timed repeat.')
flags.DEFINE_integer('repeats', 3, 'Timed repeats (median reported).')
flags.DEFINE_integer('inference_images', 10_000, 'Images per inference run.')
flags.DEFINE_integer('inference_repeats', 10, 'Inference runs (mean).')
flags.DEFINE_integer('inference_batch', 500, 'Images per inference call.')
flags.DEFINE_string('output', None, 'Write the numbers to this JSON file.')
FLAGS = flags.FLAGS


def _shape(text):
  return tuple(int(v) for v in text.lower().split('x'))


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  import tensorflow as tf
  report = {'machine': {'platform': platform.platform(),
                        'cpu_count': os.cpu_count(),
                        'tensorflow': tf.__version__},
            'training': {}, 'inference': {}, 'parameters': {}}
  for text in FLAGS.shapes:
    shape = _shape(text)
    key = 'x'.join(str(v) for v in shape)
    report['parameters'][key] = speed.parameter_counts(shape)
    for batch in (int(b) for b in FLAGS.batch_sizes):
      rows = speed.training_speed(shape, batch, steps=FLAGS.steps,
                                  repeats=FLAGS.repeats,
                                  variants=FLAGS.variants)
      entry = {r.variant: {'images_per_second': r.images_per_second,
                           'ms_per_step': 1000 * r.seconds_per_step,
                           'trace_seconds': r.trace_seconds} for r in rows}
      rates = {r.variant: r.images_per_second for r in rows}
      if 'compiled' in rates:
        entry['speedup_of_compiled_over'] = {
            v: rates['compiled'] / rate for v, rate in rates.items()
            if v != 'compiled'}
      report['training'][f'{key}/batch{batch}'] = entry
      print(f'train {key} batch {batch}: ' + ', '.join(
          f'{v} {rate:.0f} img/s' for v, rate in rates.items()) +
            ''.join(f'; compiled/{v} = {ratio:.1f}x' for v, ratio in
                    entry.get('speedup_of_compiled_over', {}).items()))
    inference = speed.inference_speed(shape, FLAGS.inference_images,
                                      FLAGS.inference_repeats,
                                      FLAGS.inference_batch)
    report['inference'][key] = inference
    print(f'inference {key}: {inference["images_per_second"]:.0f} img/s '
          f'(mean of {inference["repeats"]} x {inference["num_images"]} '
          f'images, batch {inference["batch_size"]}; paper: 532 img/s on a '
          'GTX 1080 Ti, CIFAR-10)')
    params = report['parameters'][key]
    print(f'parameters {key}: G {params["generator"]:,}, D '
          f'{params["discriminator"]:,}')
  if FLAGS.output:
    io_utils.write_json(FLAGS.output, report)
    print(f'Wrote {FLAGS.output}')
  else:
    print(json.dumps(report, indent=2))


if __name__ == '__main__':
  experiment_flags.run(main)
