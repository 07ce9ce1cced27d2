"""Managing dashboard users (admins only)."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from ivr.web import auth
from ivr.web.app_keys import USERS
from ivr.web.users import ROLES, UserError, valid_name


async def _page(request: web.Request, message: str | None = None,
                error: str | None = None, status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template("users.html", request, {
        "users": await request.app[USERS].list(), "roles": ROLES,
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
                                     str(form.get("password", "")))
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


def routes(app: web.Application) -> None:
    """Add the routes."""
    app.router.add_get("/users", users_page)
    app.router.add_post("/users", add_user)
    app.router.add_post("/users/{name}", change_user)
