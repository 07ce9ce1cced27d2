"""Managing dashboard users and their login locks (admins only)."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from ivr.web import auth
from ivr.web.app_keys import THROTTLE, USERS
from ivr.web.throttle import Scope
from ivr.web.users import ROLES, UserError, valid_name


async def _page(request: web.Request, message: str | None = None,
                error: str | None = None, status: int = 200) -> web.Response:
    throttle = request.app[THROTTLE]
    return aiohttp_jinja2.render_template("users.html", request, {
        "users": await request.app[USERS].list(), "roles": ROLES,
        "blocks": await throttle.blocks(throttle.clock()),
        "failures": await throttle.recent_failures(),
        "message": message, "error": error}, status=status)


@auth.admin_only
async def users_page(request: web.Request) -> web.StreamResponse:
    """Every user with their role."""
    return await _page(request)


@auth.admin_only
async def add_user(request: web.Request) -> web.StreamResponse:
    """Create a user from the form."""
    form = await request.post()
    name = str(form.get("name", "")).strip()
    try:
        await request.app[USERS].add(name, str(form.get("role", "supervisor")),
                                     str(form.get("password", "")),
                                     str(form.get("interface", "")).strip() or None)
    except UserError as exc:
        return await _page(request, error=str(exc), status=400)
    return await _page(request, message=f"added {name}")


@auth.admin_only
async def change_user(request: web.Request) -> web.StreamResponse:
    """Change a role, disable/enable or remove a user."""
    form = await request.post()
    name = request.match_info["name"]
    if not valid_name(name):
        raise web.HTTPNotFound(text="no such user")
    users = request.app[USERS]
    me = auth.session_of(request).user.name
    action = str(form.get("action", ""))
    try:
        if name == me and action in ("disable", "remove", "role"):
            raise UserError("you cannot lock yourself out; ask another admin")
        if action == "role":
            await users.update(name, role=str(form.get("role", "")))
        elif action in ("disable", "enable"):
            await users.update(name, disabled=action == "disable")
        elif action == "remove":
            await users.remove(name)
        else:
            raise UserError(f"unknown action {action!r}")
    except UserError as exc:
        return await _page(request, error=str(exc), status=400)
    return await _page(request, message=f"{name}: {action} done")


@auth.admin_only
async def unlock(request: web.Request) -> web.StreamResponse:
    """Clear the failed logins of a name or an address (the form on the Users page)."""
    form = await request.post()
    chosen, key = str(form.get("scope", "")), str(form.get("key", ""))
    # Keys on the page are escaped ASCII (throttle.name_key); anything else was not offered.
    if chosen not in ("name", "address") or not 0 < len(key) <= 80 or \
            not (key.isascii() and key.isprintable()):
        return await _page(request, error="choose a locked name or address to unlock",
                           status=400)
    scope: Scope = "name" if chosen == "name" else "address"
    throttle = request.app[THROTTLE]
    await throttle.unlock(scope, key, throttle.clock(), by=auth.session_of(request).user.name)
    return await _page(request, message=f"unlocked {scope} {key}")


def routes(app: web.Application) -> None:
    """Add the routes."""
    app.router.add_get("/users", users_page)
    app.router.add_post("/users", add_user)
    app.router.add_post("/users/{name}", change_user)
    app.router.add_post("/login-locks", unlock)
