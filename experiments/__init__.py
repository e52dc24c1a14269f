"""absl entry points: python -m experiments.<name> --help."""

import sys

from ganad_tf import logs
from ganad_tf.core import runtime

# TensorFlow reads TF_CPP_MIN_LOG_LEVEL and TF_ENABLE_ONEDNN_OPTS once, when
# it loads, and some entry points load it while importing their modules,
# before absl parses flags; so both are set here, from the command line.
logs.quiet_tensorflow_cpp(logs.initial_verbosity(sys.argv))
runtime.choose_onednn()
