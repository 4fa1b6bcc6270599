"""Outgoing webhooks: Maillon's domain events, sent to the URLs an admin registers.

Every event published through :func:`maillon.core.outbox.publish` whose topic is in the
public catalogue (:data:`maillon.webhooks.model.TOPICS`) becomes one delivery row per active
endpoint subscribed to it, in the transaction of the change, with a job that sends it. The
request is signed as Shopify signs its own (a timestamp header and an HMAC-SHA256 of the
timestamp and the raw body); a failed send is retried with backoff by the job record, and an
endpoint that keeps failing is disabled with the reason shown.

The package sits right above ``core``: it reads nothing of the chain but the events, so every
package's events reach it without it importing any of them (it is wired in
:func:`maillon.bootstrap.assemble`).
"""
