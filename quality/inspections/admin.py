"""Admin of inspection plans, inspections, control charts and alarms."""
