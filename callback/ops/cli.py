"""`callback queue-health` (for people, cron and probes) and `callback failed-jobs`."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import with_appcontext

from callback import db
from callback.models import utcnow
from callback.ops import failed_jobs
from callback.ops.report import Thresholds, health_report
from callback.redis_client import redis_connection

DEFAULTS = Thresholds()


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s"


def _table(report: dict[str, Any]) -> str:
    lines = [f"{'HEALTHY' if report['healthy'] else 'UNHEALTHY'} at {report['checked_at']}"]
    lines += [f"  ! {problem}" for problem in report["problems"]]
    lines.append(
        f"{'queue':<12}{'waiting':>8}{'oldest':>8}{'started':>8}{'failed':>8}"
        f"{'sched.':>8}{'deferred':>9}{'workers':>8}  scheduler"
    )
    for q in report["queues"]:
        r = q["registries"]
        lines.append(
            f"{q['name']:<12}{q['depth']:>8}{_seconds(q['oldest_age_seconds']):>8}"
            f"{r['started']:>8}{r['failed']:>8}{r['scheduled']:>8}{r['deferred']:>9}"
            f"{q['workers']:>8}  {'alive' if q['scheduler_alive'] else 'MISSING'}"
        )
    lines.append(f"cron (reconciler, retention): {'alive' if report['cron_alive'] else 'MISSING'}")
    hour = report["last_hour"]
    rate = "-" if hour["failure_rate"] is None else f"{hour['failure_rate']:.0%}"
    lines.append(
        f"last hour: {hour['submitted']} submitted, {hour['ended']} ended, failure rate {rate}"
    )
    lines += [f"  {name:<32}{count:>6}" for name, count in hour["by_outcome"].items()]
    line = report["phone_line"]
    lines.append(
        f"phone line: {line['callers_on_line']} caller(s) waiting on the line, "
        f"{line['callbacks_waiting']} phone callback(s) waiting"
    )
    lines += [
        f"  {w['name'][:30]:<32}{w['callers_on_line']:>6} on the line{w['callbacks_waiting']:>6}"
        " callbacks"
        for w in line["widgets"]
    ]
    for name in ("time_to_ring", "time_to_bridge"):
        w = report[name]
        lines.append(
            f"{name.replace('_', ' ')}: p50 {_seconds(w['p50_seconds'])}, "
            f"p95 {_seconds(w['p95_seconds'])} over {w['count']} request(s)"
        )
    return "\n".join(lines)


@click.command("queue-health")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--max-backlog-seconds",
    type=float,
    default=DEFAULTS.max_backlog_seconds,
    show_default=True,
    help="Unhealthy when a queue's oldest job waited longer.",
)
@click.option(
    "--min-workers",
    type=int,
    default=DEFAULTS.min_workers,
    show_default=True,
    help="Unhealthy with fewer live workers on the calls queue.",
)
@click.option(
    "--require-scheduler/--no-require-scheduler",
    default=DEFAULTS.require_scheduler,
    show_default=True,
    help="Unhealthy when no scheduler holds the lock.",
)
@click.option(
    "--require-cron/--no-require-cron",
    default=DEFAULTS.require_cron,
    show_default=True,
    help="Unhealthy when `callback cron` is not running.",
)
@click.option(
    "--max-failure-rate",
    type=click.FloatRange(0, 1),
    default=DEFAULTS.max_failure_rate,
    show_default=True,
    help="Unhealthy when a larger share of last hour's ended requests failed.",
)
@click.option(
    "--min-finished",
    type=int,
    default=DEFAULTS.min_finished_for_rate,
    show_default=True,
    help="Judge the failure rate only over this many requests.",
)
@click.option(
    "--max-ring-p95-seconds",
    type=float,
    default=None,
    help="Unhealthy when last hour's p95 time-to-ring is longer (off by default).",
)
@with_appcontext
def queue_health_command(
    as_json: bool,
    max_backlog_seconds: float,
    min_workers: int,
    require_scheduler: bool,
    require_cron: bool,
    max_failure_rate: float,
    min_finished: int,
    max_ring_p95_seconds: float | None,
) -> None:
    """Show queue health; exit 1 when unhealthy (for cron and container probes)."""
    limits = Thresholds(
        max_backlog_seconds=max_backlog_seconds,
        min_workers=min_workers,
        require_scheduler=require_scheduler,
        require_cron=require_cron,
        max_failure_rate=max_failure_rate,
        min_finished_for_rate=min_finished,
        max_ring_p95_seconds=max_ring_p95_seconds,
    )
    report = health_report(redis_connection(), db.session(), utcnow(), limits)
    click.echo(json.dumps(report, indent=2) if as_json else _table(report))
    click.get_current_context().exit(0 if report["healthy"] else 1)


@click.group("failed-jobs")
def failed_jobs_group() -> None:
    """Failed background jobs: list, show, retry, discard (numbers are never shown)."""


@failed_jobs_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", type=int, default=50, show_default=True)
@with_appcontext
def list_command(as_json: bool, limit: int) -> None:
    """List the newest failed jobs with their reasons."""
    jobs = [job.as_dict() for job in failed_jobs.failed_jobs(redis_connection(), limit)]
    if as_json:
        click.echo(json.dumps(jobs, indent=2))
        return
    if not jobs:
        click.echo("no failed jobs")
    for job in jobs:
        click.echo(f"{job['id']}  {job['ended_at'] or '-'}  {job['function']}\n    {job['reason']}")


def _find(job_id: str) -> failed_jobs.FailedJob:
    try:
        return failed_jobs.find(redis_connection(), job_id)
    except failed_jobs.UnknownJob:
        raise click.ClickException(f"no failed job has the id {job_id}") from None


@failed_jobs_group.command("show")
@click.argument("job_id")
@with_appcontext
def show_command(job_id: str) -> None:
    """Show one failed job: its request's state and the (scrubbed) traceback."""
    info = failed_jobs.details(_find(job_id), db.session())
    click.echo(json.dumps(info, indent=2))


@failed_jobs_group.command("retry")
@click.argument("job_ids", nargs=-1, required=True)
@with_appcontext
def retry_command(job_ids: tuple[str, ...]) -> None:
    """Put failed jobs back on their queue."""
    for job_id in job_ids:
        failed_jobs.retry(redis_connection(), _find(job_id).job.id)
        click.echo(f"requeued {job_id}")


@failed_jobs_group.command("discard")
@click.argument("job_ids", nargs=-1, required=True)
@with_appcontext
def discard_command(job_ids: tuple[str, ...]) -> None:
    """Delete failed jobs for good."""
    for job_id in job_ids:
        failed_jobs.discard(redis_connection(), _find(job_id).job.id)
        click.echo(f"discarded {job_id}")


def register(cli: click.Group) -> None:
    """Add the ops commands to the `callback` command group."""
    cli.add_command(queue_health_command)
    cli.add_command(failed_jobs_group)
