"""Production orders and their execution: release, operation transitions, reports, labour, trace."""
