"""What the service hands on when a request moves: outcome webhooks, alerts, digests.

`events` writes each event into the outbox in the mover's transaction and leaves its
delivery for after the commit; `workers.webhooks` and `workers.alerts` do the sending.
"""
