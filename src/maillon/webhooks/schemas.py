"""Request and response models of the webhook endpoints' API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from maillon.core.http import StrictModel

Topic = Annotated[str, Field(max_length=80)]


class EndpointCreate(StrictModel):
    """A new endpoint: where to send, and which events (``order.*``, ``tracking``,
    ``ticket.created``, ``*``...)."""

    url: str = Field(max_length=2000)
    topics: list[Topic] = Field(max_length=50)
    description: str = Field(default="", max_length=200)


class EndpointUpdate(StrictModel):
    """What to change on an endpoint; ``active: true`` enables it again (its failures
    cleared), ``rotate_secret`` makes a new secret, shown in the answer this once."""

    url: str | None = Field(default=None, max_length=2000)
    topics: list[Topic] | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=200)
    active: bool | None = None
    rotate_secret: bool = False


class EndpointRead(BaseModel):
    """An endpoint as listed (never its secret); ``disabled_reason`` says why it stopped."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    description: str
    topics: list[str]
    active: bool
    failures: int
    failing_since: datetime | None
    last_success_at: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None
    created_by: str
    created_at: datetime


class EndpointWithSecret(EndpointRead):
    """An endpoint just created (or its secret just rotated): ``secret`` is shown this once."""

    secret: str


class DeliveryRead(BaseModel):
    """One entry of an endpoint's delivery log: the last attempt's answer, time and error."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    endpoint_id: int
    event_id: int
    topic: str
    status: str
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    response_status: int | None
    latency_ms: int | None
    error: str | None
    response_body: str | None


class TopicsRead(BaseModel):
    """The topics an endpoint may subscribe to."""

    topics: list[str]
    families: list[str]
