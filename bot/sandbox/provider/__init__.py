"""A local SMM panel speaking API v2, for the demo, the tests and the benchmarks.

Usage (see ProviderSimulator for the whole API):

sim = ProviderSimulator(key="sandbox-key", clock=FakeClock(), seed=1)
url = await sim.start()          # "http://127.0.0.1:PORT/api/v2"
sim.faults.html = True           # misbehave like a panel behind a CDN
await sim.stop()
"""

from .catalog import SimService
from .dialects import Dialect, parse_dialects
from .faults import SimulatorFaults
from .panel import Panel
from .seeded_catalogue import UNKNOWN_TYPES, build_catalogue
from .simulator import ProviderSimulator
from .state import OrderView, SimOrder, SimRefill

__all__ = [
    "UNKNOWN_TYPES",
    "Dialect",
    "OrderView",
    "Panel",
    "ProviderSimulator",
    "SimOrder",
    "SimRefill",
    "SimService",
    "SimulatorFaults",
    "build_catalogue",
    "parse_dialects",
]
