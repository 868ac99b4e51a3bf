"""Admin of nonconformance reports and lot holds."""
