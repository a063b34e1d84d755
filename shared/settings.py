"""Settings, one class per service. Nothing else reads ``os.environ``.

Every value comes from ``CASCADE_*`` environment variables (the runtime sets
them for each process it starts). Required values have no default, so a
service started without them fails at once with the name of what is missing.
``MONGO_URL`` overrides ``CASCADE_MONGO_URL`` so one variable points a whole
node at a real MongoDB.
"""

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .ids import is_slug


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASCADE_", extra="ignore", frozen=True)

    service: ClassVar[str]

    node_id: str = Field(description="this node's id; also its JetStream domain")
    nats_url: str
    mongo_url: str = Field(validation_alias=AliasChoices("MONGO_URL", "CASCADE_MONGO_URL"))
    data_dir: Path = Path("data")
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    linked_nodes: list[str] = Field(
        default=[], description="nodes this one is linked to (its parent and children): copies may be addressed to them"
    )

    @field_validator("node_id")
    @classmethod
    def _node_id(cls, v: str) -> str:
        if not is_slug(v):
            raise ValueError("node id must be a lowercase slug: a-z, 0-9, - and _")
        return v

    @property
    def database(self) -> str:
        """One database per service and node: ``<node>_<service>``."""
        return f"{self.node_id}_{self.service}"


class NoticesSettings(ServiceSettings):
    service: ClassVar[str] = "notices"
    min_forward_slack_days: int = Field(default=3, ge=0, description="warn when a forwarded deadline leaves less")
    forward_slack_in_working_days: bool = Field(
        default=True,
        description="count the slack in working days (statutory holidays and adjusted weekends), else calendar days",
    )
    recipients_per_event: int = Field(
        default=500, ge=1, le=2000, description="a notice to more recipients is published as several events"
    )
    max_attachment_bytes: int = 20 * 1024 * 1024
    allowed_attachment_types: list[str] = [
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "image/jpeg",
        "image/png",
        "text/plain",
        "application/zip",
    ]


class SubmissionsSettings(ServiceSettings):
    service: ClassVar[str] = "submissions"
    reminder_days_before: list[int] = Field(
        default=[3, 1], description="automatic reminders this long before a deadline"
    )
    reminder_in_working_days: bool = Field(
        default=True, description="count them in working days (9:00 on that day; holidays skipped), else calendar days"
    )
    schedule_tick_seconds: float = 30.0


class NotificationsSettings(ServiceSettings):
    """Where messages are sent from. Secrets live here (the environment), never in the database.

    A channel whose server is not set records its deliveries as not sent
    (``skipped``), so a node without mail or SMS still runs.
    """

    service: ClassVar[str] = "notifications"
    smtp_host: str | None = Field(default=None, description="mail server; unset: e-mails are not sent")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls (port 587), tls (implicit, port 465) or none (a trusted relay)"
    )
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = Field(default="cascade@localhost", description="From address until the admin sets one")
    sms_gateway_url: str | None = Field(
        default=None, description="HTTP SMS gateway: POST {id, to, text} as JSON; unset: SMS are not sent"
    )
    sms_gateway_token: SecretStr | None = Field(default=None, description="sent as Authorization: Bearer …")
    send_timeout_seconds: float = Field(default=10.0, gt=0, description="one connection or request to a server")
    send_batch_size: int = Field(default=50, ge=1, le=500, description="messages per sending job")
    send_give_up_hours: float = Field(
        default=24.0, gt=0, description="a message that could not be sent this long after it was due is failed"
    )
    # Reach (issue 15): personal links, the providers' limits, the daily digest, escalation.
    link_valid_days: float = Field(default=30.0, gt=0, description="a personal 签收 link works this long after sending")
    chat_per_minute: int = Field(
        default=20, ge=0, description="messages per webhook per window (钉钉, 企业微信, 飞书 robots take 20); 0: none"
    )
    dingtalk_per_minute: int | None = Field(
        default=None,
        ge=0,
        description="钉钉 robots: per webhook per window (钉钉 takes 20/min, then blocks 10 min); "
        "unset: chat_per_minute",
    )
    wecom_per_minute: int | None = Field(
        default=None, ge=0, description="企业微信 robots: per webhook per window (20/min); unset: chat_per_minute"
    )
    feishu_per_minute: int | None = Field(
        default=None, ge=0, description="飞书 robots: per webhook per window (100/min); unset: chat_per_minute"
    )
    sms_per_minute: int = Field(default=0, ge=0, description="SMS the gateway takes per window; 0: no limit")
    email_per_minute: int = Field(default=0, ge=0, description="e-mails the SMTP server takes per window; 0: no limit")
    sms_per_number_per_day: int = Field(
        default=10, ge=0, description="SMS to one mobile number per day in the node's zone (providers cap it); 0: none"
    )
    rate_window_seconds: float = Field(
        default=60.0, gt=0, description="the window the *_per_minute limits count in (a minute; tests shorten it)"
    )
    rate_limited_pause_seconds: float = Field(
        default=60.0, gt=0, description="a server that said 'rate limited' is left alone this long, doubled per refusal"
    )
    digest_hour: int = Field(default=17, ge=0, le=23, description="hour of the day (node's zone) daily digests go out")
    escalate_after_hours: float = Field(
        default=0.0, ge=0, description="unanswered after this long, a message goes again on the next channel; 0: off"
    )
    reach_tick_seconds: float = Field(default=30.0, gt=0, description="how often digests and escalations are looked at")
    recount_delay_seconds: float = Field(
        default=1.0, gt=0, description="a notice's delivery counts are recounted at most this often (recounts.py)"
    )

    def chat_limit(self, provider: str | None) -> int:
        """Messages per window for one robot of ``provider`` (wecom, dingtalk, feishu): its own setting, else
        ``chat_per_minute``; 0: no limit of ours."""
        own = {"dingtalk": self.dingtalk_per_minute, "wecom": self.wecom_per_minute, "feishu": self.feishu_per_minute}
        limit = own.get(provider or "")
        return self.chat_per_minute if limit is None else limit


class ReportsSettings(ServiceSettings):
    service: ClassVar[str] = "reports"
    progress_interval_seconds: float = Field(
        default=5.0, gt=0, description="下级进度: at most one report per 转发 this often (the latest state always goes)"
    )
    statistics_interval_seconds: float = Field(
        default=1.0, gt=0, description="办理情况统计: rows changed by events are summed again this often (and on read)"
    )


class GatewaySettings(ServiceSettings):
    service: ClassVar[str] = "gateway"
    host: str = "127.0.0.1"
    port: int = 8080
    secret_key: SecretStr = Field(min_length=16, description="signs sessions and CSRF tokens; no default on purpose")
    request_timeout: float = 10.0
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, description="largest request body; more is 413")
    org_unit_id: str | None = Field(
        default=None, description="the node's own org unit: only its users can be node admins (empty: not enforced)"
    )
    secure_cookies: bool = Field(default=False, description="HTTPS only: Secure cookies (__Host- names) and HSTS")
    session_idle_minutes: int = Field(default=120, ge=1, description="a session unused this long ends")
    session_max_hours: int = Field(default=12, ge=1, description="a session ends this long after login, used or not")
    login_max_failures: int = Field(default=5, ge=1, description="failed logins in a row that lock the account")
    login_lockout_minutes: int = Field(default=15, ge=1, description="how long a locked account stays locked")
    password_min_length: int = Field(default=10, ge=8)

    @field_validator("org_unit_id")
    @classmethod
    def _org_unit_id(cls, v: str | None) -> str | None:
        if not v:
            return None
        if not is_slug(v):
            raise ValueError("org unit id must be a lowercase slug")
        return v


SETTINGS_BY_SERVICE: dict[str, type[ServiceSettings]] = {
    cls.service: cls
    for cls in (NoticesSettings, SubmissionsSettings, NotificationsSettings, ReportsSettings, GatewaySettings)
}


class StreamsSettings(BaseSettings):
    """What ``cascade configure-streams`` takes from a container's environment (docker-compose.yml)."""

    model_config = SettingsConfigDict(env_prefix="CASCADE_", extra="ignore", frozen=True)

    node_id: str = Field(description="this node's id; also its JetStream domain")
    nats_url: str
    linked_nodes: list[str] = Field(default=[], description="the node's parent and children, as in its nats.conf")

    @field_validator("node_id")
    @classmethod
    def _node_id(cls, v: str) -> str:
        if not is_slug(v):
            raise ValueError("node id must be a lowercase slug: a-z, 0-9, - and _")
        return v


class RuntimeSettings(BaseSettings):
    """What the node runtime (``cascade up``) takes from the environment."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    mongo_url: str | None = Field(default=None, validation_alias=AliasChoices("MONGO_URL", "CASCADE_MONGO_URL"))
    # A container has no node config file: `cascade create-admin` there takes the node from its environment.
    node_id: str | None = Field(default=None, validation_alias="CASCADE_NODE_ID")
    org_unit_id: str | None = Field(default=None, validation_alias="CASCADE_ORG_UNIT_ID")
