"""Exception types. Each message names what is wrong and how to fix it."""


class GanadError(Exception):
  """Base class of every error this package raises on purpose."""


class ConfigError(GanadError, ValueError):
  """A flag or config value is invalid or conflicts with another."""


class DatasetError(GanadError):
  """A dataset cannot be found, downloaded, read or split."""


class InputError(GanadError, ValueError):
  """Images passed to the API have the wrong rank, size, channels or values."""


class NonFiniteLossError(GanadError, FloatingPointError):
  """A training loss became NaN or Inf."""


class CheckpointError(GanadError):
  """No usable checkpoint could be restored."""


class OutputError(GanadError, OSError):
  """The output folder cannot be written or holds an incompatible run."""
