"""The errors a person can act on: printed as one clear line, never a traceback."""

from csi.clock import UnknownTimeZone
from csi.ingest.discover import LandingError
from csi.pipeline.lock import WarehouseBusy
from csi.settings import ConfigError
from csi.warehouse.engine import WarehouseError

USER_ERRORS = (ConfigError, LandingError, WarehouseBusy, WarehouseError, UnknownTimeZone)
