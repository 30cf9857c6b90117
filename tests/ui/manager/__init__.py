"""License Manager tests: the window, its models and dialogs, and the store queries behind them."""
