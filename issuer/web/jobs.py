"""Bulk-award jobs in the background of the web process: started by the API and the pages alike,
resumed at start-up, cancelled at shutdown (their open batch rolls back and resumes at the next start)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from issuer.errors import ForbiddenError
from issuer.services.awards import create_job, run_job, staff_role, unfinished_jobs

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from litestar import Litestar
    from litestar.datastructures import State
    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.db import Organisation
    from issuer.db.models import AwardJob
    from issuer.roles import Principal
    from issuer.services.context import Services

__all__ = ["resume_award_jobs", "start_award_job", "start_job", "stop_award_jobs"]

_log = logging.getLogger(__name__)
_TASKS = "award_job_tasks"  # app.state key: the running jobs' tasks, kept so none is garbage-collected


def _tasks(state: State) -> set[asyncio.Task[None]]:
    tasks: set[asyncio.Task[None]] | None = state.get(_TASKS)
    if tasks is None:
        tasks = set()
        state[_TASKS] = tasks
    return tasks


async def _run_logged(services: Services, job_id: uuid.UUID) -> None:
    try:
        await run_job(services, job_id)
    except asyncio.CancelledError:
        raise  # the service stops: the job stays running and is resumed at the next start
    except Exception:  # noqa: BLE001 - a background task has no caller: log it
        # run_job ends the job failed on its own errors; this is one it could not record (the database
        # gone), so the job stays running and is resumed at the next start.
        _log.exception("award job %s stopped; it resumes at the next start", job_id)


def start_job(state: State, services: Services, job_id: uuid.UUID) -> None:
    """Run a job in the background of this process."""
    task = asyncio.get_running_loop().create_task(_run_logged(services, job_id), name=f"award-job-{job_id}")
    tasks = _tasks(state)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def start_award_job(
    state: State,
    session: AsyncSession,
    services: Services,
    *,
    organisation: Organisation,
    principal: Principal,
    roles: frozenset[str],
    filename: str,
    data: bytes,
    enrol: bool,
    now: datetime,
) -> AwardJob:
    """Store a bulk-award CSV as a job (:func:`issuer.services.awards.create_job`) and, if it has rows to
    award, start it in the background; the uploader attests in their staff role.

    Raises:
        ForbiddenError: neither a teacher nor an admin here.
        InvalidCsvError: the file cannot be read as a whole; nothing is stored.
    """
    role = staff_role(roles)
    if role is None:
        raise ForbiddenError("a bulk award needs a teacher or admin")
    job = await create_job(
        session,
        services,
        organisation=organisation,
        creator=principal,
        attester_role=role,
        filename=filename,
        data=data,
        enrol=enrol,
        now=now,
    )
    if job.state == "pending":
        start_job(state, services, job.id)
    return job


async def resume_award_jobs(app: Litestar) -> int:
    """Start-up hook: resume the jobs a crash or a stop left ``pending`` or ``running``."""
    services: Services = app.state.services
    job_ids = await unfinished_jobs(services)
    for job_id in job_ids:
        start_job(app.state, services, job_id)
    return len(job_ids)


async def stop_award_jobs(app: Litestar) -> None:
    """Shutdown hook: cancel running jobs (their open batch rolls back; they resume at the next start)."""
    tasks = list(_tasks(app.state))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
