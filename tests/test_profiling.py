"""Op-type breakdown of a profiled training epoch."""

import pytest

from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.benchmark import profiling


def _ops_per_step(types, name):
  """Ops per step of TensorFlow's op `name`, also under the names oneDNN
  gives its kernels (_MklConv2DBackpropFilter, _MklNative...), which run
  instead where oneDNN is on (TF_ENABLE_ONEDNN_OPTS; Intel's default)."""
  return sum(row['ops_per_step'] for op_type, row in types.items()
             if op_type == name or (op_type.startswith('_Mkl')
                                    and op_type.endswith(name)))


@pytest.mark.slow
def test_profile_breaks_a_step_down_by_op_type(tmp_path):
  config = config_lib.replace(BenchmarkConfig(), train={
      'batch_size': 4, 'augment': 'none'})
  try:
    report = profiling.profile_training((32, 32, 1), 8, str(tmp_path),
                                        config)
  except ImportError as error:  # TensorFlow moved its trace converter.
    pytest.skip(str(error))
  assert report['steps'] == 4
  types = {row['op_type']: row for row in report['op_types']}
  # A training step runs convolutions, their gradients and fused Adam.
  for name in ('Conv2DBackpropFilter', 'ResourceApplyAdam'):
    assert _ops_per_step(types, name) > 0, sorted(types)
  assert sum(row['share'] for row in report['op_types']) == pytest.approx(1)
  table = profiling.format_breakdown(report['op_types'], top=3)
  assert table.count('\n') == 6  # header, rule, 3 rows, the rest
