"""The package's error types and the builtin types callers catch."""

import pytest

from ganad_tf import errors


@pytest.mark.parametrize('error_type,builtin', [
    (errors.ConfigError, ValueError),
    (errors.InputError, ValueError),
    (errors.NonFiniteLossError, FloatingPointError),
    (errors.OutputError, OSError),
    (errors.DatasetError, Exception),
    (errors.CheckpointError, Exception),
])
def test_each_error_is_a_ganad_error_and_its_builtin(error_type, builtin):
  # The entry points print any GanadError as a one-line message
  # (experiments/flags.py); API callers catching the builtin keep working.
  with pytest.raises(builtin) as caught:
    raise error_type('what is wrong; how to fix it')
  assert isinstance(caught.value, errors.GanadError)
  assert str(caught.value) == 'what is wrong; how to fix it'

