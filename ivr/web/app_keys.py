"""Typed keys of what the dashboard application holds (shared by the app and its views)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from ivr.calls.store import SqlStore
from ivr.config import Config
from ivr.web.deployed import DeployedFlows
from ivr.web.throttle import LoginThrottle
from ivr.web.users import Users
from ivr.web.wallboard_limits import WallboardLimits

STORE = web.AppKey("store", SqlStore)
USERS = web.AppKey("users", Users)
CONFIG = web.AppKey("config", Config)
FLOWS = web.AppKey("flows", DeployedFlows)
TZ = web.AppKey("tz", ZoneInfo)
THROTTLE = web.AppKey("throttle", LoginThrottle)
LIMITS = web.AppKey("wallboard_limits", WallboardLimits)
