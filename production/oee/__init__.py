"""OEE: the ISO 22400-2 time model (pure) and, later, machine events and roll-ups."""
