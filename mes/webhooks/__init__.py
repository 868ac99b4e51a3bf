"""Webhooks to the ERP: an outbox written in the business transaction, delivered at least
once by a worker, signed as the Standard Webhooks specification says."""
