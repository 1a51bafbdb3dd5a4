"""Everything the console's pages use, kept on the /staff sub-application."""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
from aiohttp import web

from webapp.cases.store import CaseStore
from webapp.settings import WebSettings
from webapp.staff.config import StaffConfig
from webapp.staff.console.runner import JobRunner
from webapp.staff.jobs import Jobs
from webapp.staff.registry import Registry
from webapp.staff.tracker import TrackerReader
from webapp.staff.trainingdata import StaffDataFile
from webapp.staff.users import Users


@dataclass
class Console:
    settings: WebSettings
    config: StaffConfig
    store: CaseStore
    users: Users
    tracker: TrackerReader
    staff_data: StaffDataFile
    registry: Registry
    jobs: Jobs
    runner: JobRunner
    templates: jinja2.Environment


CONSOLE_KEY = web.AppKey("staff_console", Console)


def console(request: web.Request) -> Console:
    return request.config_dict[CONSOLE_KEY]
