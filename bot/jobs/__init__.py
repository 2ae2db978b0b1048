"""Review jobs that survive restarts: the job, the outbox, the embedded and PostgreSQL
queues, and the delivery claims."""
