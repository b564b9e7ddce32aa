"""The background worker: django-tasks' database worker, with the outbox sweep queued first.

`manage.py run_worker` takes every option of `manage.py db_worker` (--interval, --worker-id, --batch…).
Run as many as you like, on any machine that reaches the database: each task and each email is claimed
by one of them.
"""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from sessions.notifications import queue_sweep


class Command(DatabaseWorkerCommand):
    help = "Send the club emails and run the other background tasks (django-tasks database worker)."

    def handle(self, *args, **options) -> None:
        # Reminders and vote closings come from a sweep that queues its successor; make sure one is queued.
        queue_sweep()
        super().handle(*args, **options)
