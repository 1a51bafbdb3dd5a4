"""Everything the console's pages use, kept on the /staff sub-application."""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
from aiohttp import web

from bot.cases.store import CaseStore
from bot.settings import Settings
from bot.staff.config import StaffConfig
from bot.staff.console.runner import JobRunner
from bot.staff.jobs import Jobs
from bot.staff.registry import Registry
from bot.staff.tracker import TrackerReader
from bot.staff.trainingdata import StaffDataFile
from bot.staff.users import Users


@dataclass
class Console:
    settings: Settings
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
