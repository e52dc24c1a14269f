"""absl entry points: python -m experiments.<name> --help."""

import sys

from ganad_tf import logs

# TensorFlow reads TF_CPP_MIN_LOG_LEVEL once, when it loads, and some entry
# points load it while importing their modules, before absl parses flags.
logs.quiet_tensorflow_cpp(logs.initial_verbosity(sys.argv))
