"""Process-wide settings made by entry points."""

import os

import tensorflow as tf

from ganad_tf.core import runtime


def test_threads_after_start_are_left_alone():
  # TensorFlow has run ops by now, so its thread pools are fixed; configure
  # must not fail (entry points may call it late), and must not change them.
  tf.constant(1.0) + 1.0
  before = tf.config.threading.get_intra_op_parallelism_threads()
  runtime.configure(deterministic_ops=True, threads=before + 1)
  assert tf.config.threading.get_intra_op_parallelism_threads() == before


def test_cpu_count_is_this_process_share():
  assert runtime.cpu_count() == len(os.sched_getaffinity(0))
