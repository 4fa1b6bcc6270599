"""The worker tier: jobs and scheduled work run by Huey, on the project's own database.

- :mod:`.engine` builds the Huey instance on the database Maillon already uses (an SQLite file
  beside the SQLite default, tables in the same PostgreSQL otherwise: no broker to run), runs
  a job recorded by :mod:`maillon.core.jobs`, and starts the consumer, in-process for
  ``maillon serve`` or as ``maillon worker`` processes on any number of machines.
- :mod:`.tasks` names what a job can be (``outbox.deliver``, ``orders.holds_sweep``, ...) and
  when the scheduled ones run.
"""
