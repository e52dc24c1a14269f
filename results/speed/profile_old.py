"""Profiles N training steps and prints time per op type (host ops).

usage (in a checkout of ebdb240): PYTHONPATH=. python profile_old.py SHAPE BATCH GROUP STEPS LOGDIR
"""
import os, sys, time, json, glob, collections
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
shape = tuple(int(v) for v in sys.argv[1].split('x'))
batch, group, steps = (int(v) for v in sys.argv[2:5])
logdir = sys.argv[5]
import numpy as np
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
from layouts import CONFIG_CLASS, Trainer, config_lib  # old or new layout
rng = np.random.default_rng(0)
normal = rng.uniform(-1, 1, (group,) + shape).astype(np.float32)
anomaly = rng.uniform(-1, 1, (group,) + shape).astype(np.float32)
cfg = config_lib.replace(CONFIG_CLASS(), train={
    'batch_size': batch, 'epochs': 1, 'augment': 'none',
    'steps_per_execution': steps, 'log_every_secs': 1e9})
trainer = Trainer(cfg, shape, 'fashion_mnist')
trainer.fit(normal[:64], anomaly[:64])
trainer._normal_data.assign(normal); trainer._anomaly_data.assign(anomaly)
chunk = trainer._train_chunk
chunk(tf.constant(steps, tf.int64))
t = time.perf_counter(); chunk(tf.constant(steps, tf.int64)); print('steps/s', steps / (time.perf_counter() - t))
tf.profiler.experimental.start(logdir)
chunk(tf.constant(steps, tf.int64))
tf.profiler.experimental.stop()
from tensorflow.python.profiler.internal import _pywrap_profiler_plugin as plugin
path = glob.glob(os.path.join(logdir, 'plugins/profile/*/*.xplane.pb'))[-1]
data, ok = plugin.xspace_to_tools_data([path], 'trace_viewer', {})
trace = json.loads(data)
by_name = collections.Counter(); counts = collections.Counter()
for ev in trace.get('traceEvents', []):
  if ev.get('ph') == 'X' and 'dur' in ev:
    name = ev.get('name', '')
    by_name[name] += ev['dur']; counts[name] += 1
total = sum(by_name.values())
for name, dur in by_name.most_common(45):
  print(f'{dur/steps:10.1f} us/step {counts[name]/steps:7.1f}/step  {name[:90]}')
