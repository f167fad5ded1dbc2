"""chipwatch: hardware signatures in public AI code, and the chips behind them."""

__version__ = "0.1.0"
