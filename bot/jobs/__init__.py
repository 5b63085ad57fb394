"""Background jobs: status polling, refill polling, catalogue sync, the provider balance
watch and the notification outbox sender, on one scheduler (bot/jobs/scheduler.py)."""

from bot.jobs.catalog import sync_catalog
from bot.jobs.scheduler import Jobs, create_jobs, create_scheduler

__all__ = ["Jobs", "create_jobs", "create_scheduler", "sync_catalog"]
