"""The app's cancel-window fulfillment hold: a new order is held from shipping while it can still be cancelled."""
