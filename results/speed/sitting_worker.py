"""One measurement for sitting.py, run inside the checkout being measured.

  train: python sitting_worker.py train SHAPE BATCH GROUP STEPS THREADS
  infer: python sitting_worker.py infer SHAPE 0 0 0 THREADS

Training: steps/s of the compiled training loop on two groups of GROUP
images, called directly in chunks of 100 steps after a warm-up, so that the
old code (ebdb240: images in variables, `_train_chunk`) and the new
(`_compiled_loop` with the images as arguments) are timed the same way.
Inference: the Fig. 2 protocol, 10,000 images at batch 500, 5 repeats.
Prints one JSON line.
"""
import json
import os
import sys
import time
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
kind = sys.argv[1]
shape = tuple(int(v) for v in sys.argv[2].split('x'))
batch, group, steps, threads = (int(v) for v in sys.argv[3:7])
import numpy as np, tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(threads)
tf.config.experimental.enable_op_determinism()
if kind == 'infer':
  try:
    from ganad_tf.benchmark import speed
  except ImportError:
    from ganad_tf import speed
  result = speed.inference_speed(shape, 10_000, 5, 500)
  print(json.dumps({'kind': kind, 'shape': sys.argv[2], 'threads': threads,
                    'img_per_s': result['images_per_second']}))
  sys.exit(0)
from layouts import CONFIG_CLASS, Trainer, config_lib  # old or new layout
rng = np.random.default_rng(0)
normal = rng.uniform(-1, 1, (group,) + shape).astype(np.float32)
anomaly = rng.uniform(-1, 1, (group,) + shape).astype(np.float32)
cfg = config_lib.replace(CONFIG_CLASS(), train={
    'batch_size': batch, 'epochs': 1, 'augment': 'none',
    'steps_per_execution': 100, 'log_every_secs': 1e9, 'learning_rate': 1e-4})
trainer = Trainer(cfg, shape, 'fashion_mnist')
trainer.fit(normal[:2 * batch], anomaly[:2 * batch])  # traces
if hasattr(trainer, '_compiled_loop'):   # new code: images are arguments
  n, a = tf.constant(normal), tf.constant(anomaly)
  run = lambda: trainer._compiled_loop(tf.constant(100, tf.int64), n, a)
else:                                    # old code: images in variables
  trainer._normal_data.assign(normal); trainer._anomaly_data.assign(anomaly)
  run = lambda: trainer._train_chunk(tf.constant(100, tf.int64))
run()
started = time.perf_counter()
for _ in range(steps // 100):
  run()
rate = (steps // 100) * 100 / (time.perf_counter() - started)
print(json.dumps({'kind': kind, 'shape': sys.argv[2], 'batch': batch,
                  'group': group, 'threads': threads, 'steps_per_s': rate,
                  'img_per_s': rate * batch}))
