"""Service configuration: one TOML file plus environment variables for secrets.

Each section belongs to one subsystem; secrets (AMI password, dashboard
session key, database password) come from the environment, never from
``flows.yaml``. Environment variables ``IVR_<SECTION>_<FIELD>`` override the
file, e.g. ``IVR_AMI_SECRET`` or ``IVR_STORE_URL``.
"""

from __future__ import annotations

import os
import tomllib
from ipaddress import ip_network
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    field_validator,
    model_validator,
)


class ConfigError(Exception):
    """The config file cannot be used; the message names the file and what to do."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FlowsConfig(_Section):
    """Where the flows live and how they are reloaded."""

    path: Path = Path("flows.yaml")
    reload: bool = True


class AgiConfig(_Section):
    """The FastAGI listener Asterisk connects to."""

    host: str = "127.0.0.1"
    port: int = 4573
    #: This instance's name in call records; a restarted instance closes the calls its
    #: crash cut off. Default: host name and port. Give each instance behind one store its own.
    instance: str | None = None
    #: Addresses or networks of the Asterisk hosts that may connect; others are disconnected
    #: at once (``IVR_AGI_ALLOW="127.0.0.1,10.0.0.0/8"``). Default: loopback only.
    allow: list[IPvAnyNetwork] = Field(
        default_factory=lambda: [ip_network("127.0.0.0/8"), ip_network("::1/128")]
    )
    #: FastAGI connections served at once; further ones are closed until a call ends.
    max_sessions: int = Field(default=2000, ge=1)
    #: Seconds Asterisk may take to answer a command beyond the command's own wait for the
    #: caller (WAIT FOR DIGIT's timeout, a recording's length); prompts must fit in it.
    reply_timeout_s: float = Field(default=120.0, gt=0)

    @field_validator("allow", mode="before")
    @classmethod
    def _allow_from_env(cls, value: Any) -> Any:
        # An environment variable cannot hold a list: comma-separated addresses instead.
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value


class AmiConfig(_Section):
    """The AMI connection (live queue and channel state)."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "ivr"
    secret: str = ""


class StoreConfig(_Section):
    """Where call records go: ``sqlite:///path`` (default) or ``postgresql://…``."""

    url: str = "sqlite:///ivr-data/calls.sqlite3"
    retention_days: int | None = None
    #: A call waits this long for each step to commit before the caller hears the next
    #: thing; past it (a database outage) the call goes on and the write is retried.
    commit_wait_s: float = Field(default=2.0, ge=0, le=30)


class SpeechConfig(_Section):
    """Vosk models per language and how caller audio reaches them."""

    models: dict[str, Path] = Field(default_factory=dict)
    #: Drop-in models: ``<models_dir>/<language>/`` is used for any language ``models`` omits.
    models_dir: Path = Path("speech/models")
    audio: str = "audiosocket"  # audiosocket | record
    audiosocket_host: str = "127.0.0.1"
    audiosocket_port: int = 9092
    #: Directory Asterisk writes RECORD FILE audio into, as the service sees it.
    record_dir: Path = Path("recordings/asr")
    #: Same directory as Asterisk sees it (differs in a chroot or container).
    record_dir_asterisk: Path | None = None
    #: ``host:port`` Asterisk dials for AudioSocket when it differs from where we listen (NAT).
    audiosocket_connect: str | None = None
    #: Seconds of silence that end a RECORD FILE answer (fallback mode; whole seconds; Asterisk
    #: counts the silence before the caller starts too, so 1 s cuts off slow starters).
    record_silence_s: int = Field(default=2, ge=1, le=10)

    @field_validator("models", mode="before")
    @classmethod
    def _models_from_env(cls, value: Any) -> Any:
        # IVR_SPEECH_MODELS="en=/srv/vosk/en,ko=/srv/vosk/ko" (an env var cannot hold a table).
        if isinstance(value, str):
            pairs = (item.split("=", 1) for item in value.split(",") if item.strip())
            return {lang.strip(): path.strip() for lang, path in pairs}
        return value


class WebConfig(_Section):
    """The supervisor dashboard."""

    host: str = "127.0.0.1"
    port: int = 8080
    #: Time zone the dashboard shows times and hourly charts in (IANA name).
    timezone: str = "UTC"
    #: Send the session cookie only over HTTPS (set when a TLS proxy fronts the dashboard).
    secure_cookies: bool = False
    #: Login throttling (counted in the database, so every instance agrees). After
    #: ``login_backoff_after`` failed logins for one name each further try waits 1 s,
    #: doubling; after ``login_lock_after`` the name is locked for ``login_lock_minutes``
    #: (a success or an admin's unlock starts the count again).
    login_backoff_after: int = Field(default=5, ge=1)
    login_lock_after: int = Field(default=10, ge=1)
    login_lock_minutes: float = Field(default=15, gt=0)
    #: The same per source address, over every name tried from it.
    address_backoff_after: int = Field(default=10, ge=1)
    address_lock_after: int = Field(default=30, ge=1)
    #: Failures older than this are forgotten.
    login_window_hours: float = Field(default=24, gt=0)
    #: Take the client's address from the last X-Forwarded-For entry (only when a reverse
    #: proxy that sets it fronts the dashboard; otherwise a client could pick its address).
    trust_forwarded_for: bool = False
    #: Wallboard tiles of a queue turn amber / red when its longest wait reaches these
    #: seconds, or when this many callers wait.
    wallboard_wait_amber_s: float = Field(default=60, gt=0)
    wallboard_wait_red_s: float = Field(default=180, gt=0)
    wallboard_waiting_amber: int = Field(default=3, ge=1)
    wallboard_waiting_red: int = Field(default=6, ge=1)


class MetricsConfig(_Section):
    """The Prometheus endpoint of ``ivr serve`` (``GET /metrics``); off until a port is set."""

    host: str = "127.0.0.1"
    #: e.g. 9464; 0 picks a free port (tests).
    port: int | None = None


class CallbacksConfig(_Section):
    """Callbacks the service makes (ivr/callbacks, docs/telephony.md "Callbacks")."""

    #: Dial due requests from this instance (requests are stored either way).
    enabled: bool = True
    #: Dial string; ``{number}`` is the stored number (digits and a leading + only).
    dial: str = "PJSIP/{number}@trunk"
    #: Dialplan context the answered leg runs (asterisk_conf/extensions.conf [ivr-callback]).
    context: str = "ivr-callback"
    caller_id: str | None = None
    #: FastAGI URL for the answered leg; default: the dialplan's IVR_AGI global.
    agi_url: str | None = None
    #: Who is calling, in the greeting: "This is {company} returning your call about {topic}."
    company: str = "customer service"
    poll_s: float = Field(default=2.0, gt=0)
    ring_s: float = Field(default=30.0, gt=0, le=120)
    #: The claim on a request being dialled; another instance takes over after it lapses.
    lease_s: float = Field(default=120.0, ge=30)
    max_attempts: int = Field(default=3, ge=1, le=20)
    backoff_s: float = Field(default=300.0, ge=0)
    backoff_factor: float = Field(default=2.0, ge=1)
    max_backoff_s: float = Field(default=3600.0, ge=0)
    expiry_hours: float = Field(default=24.0, gt=0)
    #: Dial when an agent is free or the estimated wait is below this.
    wait_below_s: float = Field(default=30.0, ge=0)

    @field_validator("dial")
    @classmethod
    def _dial(cls, value: str) -> str:
        try:
            probe = value.format(number="5551234")
        except (KeyError, IndexError, ValueError):
            probe = value
        if "{number}" not in value or "5551234" not in probe:
            raise ValueError(f"callbacks.dial {value!r} must contain {{number}} and no other "
                             "braces, e.g. 'PJSIP/{number}@trunk'")
        return value

    @model_validator(mode="after")
    def _lease_outlives_ring(self) -> CallbacksConfig:
        if self.lease_s < self.ring_s + 15:
            raise ValueError(f"callbacks.lease_s ({self.lease_s:g}) must exceed ring_s "
                             f"({self.ring_s:g}) by 15 s, or another instance could dial a "
                             "callee whose phone is still ringing")
        return self


class Config(_Section):
    """The whole service configuration."""

    flows: FlowsConfig = Field(default_factory=FlowsConfig)
    agi: AgiConfig = Field(default_factory=AgiConfig)
    ami: AmiConfig = Field(default_factory=AmiConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    speech: SpeechConfig = Field(default_factory=SpeechConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    callbacks: CallbacksConfig = Field(default_factory=CallbacksConfig)
    recordings_dir: Path = Path("recordings")


def load_config(path: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Read *path* (if given) and apply ``IVR_<SECTION>_<FIELD>`` overrides from *environ*."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such config file (start from ivr.toml.example: "
                              f"cp ivr.toml.example {path})") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    env = dict(os.environ if environ is None else environ)
    for section, model in Config.model_fields.items():
        annotation = model.annotation
        if not (isinstance(annotation, type) and issubclass(annotation, _Section)):
            continue
        for field in annotation.model_fields:
            key = f"IVR_{section}_{field}".upper()
            if key in env:
                data.setdefault(section, {})[field] = env[key]
    return Config.model_validate(data)
