"""The messaging-app connectors on two Rasa servers sharing one Redis (endpoints.prod.yml).

Platform callbacks come from many addresses, so behind the load balancer any replica may get a
retry, a button number or need the access token. These tests send each callback to one server
or the other, with the platforms' signed requests (tests/channels/platform_spec.py) and the
fake platform API of tests/channels/fake_platform.py.
"""
from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator, List

import pytest
import redis
import requests

from tests.channels import platform_spec as spec
from tests.channels.fake_platform import OA_TOKEN as OA_API_TOKEN
from tests.channels.fake_platform import FakePlatformApi
from tests.channels.test_connectors import (
    FEISHU_TOKEN,
    GREETING,
    QUIET_SECONDS,
    SECRETS,
    feishu_post,
    feishu_sent_to,
    oa_post,
    oa_sent_to,
    platform_env,
    wait_for,
    wecom_post,
    wecom_sent_to,
)
from tests.production.cluster import Cluster, running_cluster, user_texts
from tests.production.infra import Postgres, Redis


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakePlatformApi]:
    api = FakePlatformApi(SECRETS).start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def replicas(
    trained_model: Path, postgres: Postgres, redis_server: Redis, fake_api: FakePlatformApi
) -> Iterator[Cluster]:
    """An action server and two Rasa servers with the connectors, on PostgreSQL and one Redis."""
    with running_cluster(
        trained_model, postgres, redis_server, "connectors_tracker", "connectors_requests",
        platform_env(fake_api.url),
    ) as cluster:
        yield cluster


def server(cluster: Cluster, number: int) -> Any:
    """Replica `number` in the shape the connector helpers of test_connectors.py take."""
    return SimpleNamespace(rasa=cluster.servers[number % 2])


def said(cluster: Cluster, sender: str) -> List[str]:
    return user_texts(cluster.tracker(cluster.servers[0].url, sender))


def msg_id() -> str:
    return str(time.time_ns())


def test_one_token_fetch_serves_both_replicas(
    replicas: Cluster, redis_server: Redis, fake_api: FakePlatformApi
) -> None:
    client = redis.Redis(port=redis_server.port)
    for key in client.scan_iter("*channels:token:*"):
        client.delete(key)
    fetched = len(fake_api.sent("/cgi-bin/token", lambda r: True))
    users = [f"oToken-{n}-{uuid.uuid4().hex[:6]}" for n in range(4)]
    with ThreadPoolExecutor(len(users)) as pool:
        answers = list(
            pool.map(
                lambda n: oa_post(server(replicas, n), users[n], GREETING, msg_id(), safe=True),
                range(len(users)),
            )
        )
    assert [a.status_code for a in answers] == [200] * len(users)
    for user in users:
        assert wait_for(oa_sent_to(fake_api, user)), f"no reply reached {user}"
    assert len(fake_api.sent("/cgi-bin/token", lambda r: True)) == fetched + 1
    used = {r.query["access_token"] for user in users for r in oa_sent_to(fake_api, user)()}
    assert used == {fake_api.token(OA_API_TOKEN)}


def test_callbacks_alternate_between_replicas(replicas: Cluster, fake_api: FakePlatformApi) -> None:
    user = f"wecom-alt-{uuid.uuid4().hex[:8]}"
    texts = [GREETING, "人工客服", "退款", "谢谢"]
    for number, text in enumerate(texts):
        before = len(wecom_sent_to(fake_api, user)())
        assert wecom_post(server(replicas, number), user, text, msg_id()).status_code == 200
        assert wait_for(lambda: wecom_sent_to(fake_api, user)()[before:]), f"'{text}' unanswered"
    assert said(replicas, user) == texts


def test_replayed_callback_is_answered_once_on_any_replica(
    replicas: Cluster, fake_api: FakePlatformApi
) -> None:
    wecom_user, oa_user = f"wecom-replay-{uuid.uuid4().hex[:8]}", f"oOA-replay-{uuid.uuid4().hex[:8]}"
    open_id, chat_id = f"ou_replay_{uuid.uuid4().hex[:8]}", f"oc_{uuid.uuid4().hex[:10]}"
    event = spec.feishu_message_event(FEISHU_TOKEN, uuid.uuid4().hex, open_id, chat_id, "转人工")
    wecom_id, oa_id = msg_id(), msg_id()
    for number in range(4):  # the platform retries; the load balancer spreads the retries
        assert wecom_post(server(replicas, number), wecom_user, "人工客服", wecom_id).status_code == 200
        assert oa_post(server(replicas, number), oa_user, "退款", oa_id, safe=True).status_code == 200
        assert feishu_post(server(replicas, number), event).status_code == 200
    probes = [wecom_sent_to(fake_api, wecom_user), oa_sent_to(fake_api, oa_user), feishu_sent_to(fake_api, chat_id)]
    first = [len(wait_for(probe)) for probe in probes]
    time.sleep(QUIET_SECONDS)
    assert [len(probe()) for probe in probes] == first
    assert said(replicas, wecom_user) == ["人工客服"]
    assert said(replicas, oa_user) == ["退款"]
    assert said(replicas, open_id) == ["转人工"]


def test_button_number_is_understood_on_the_other_replica(
    replicas: Cluster, fake_api: FakePlatformApi
) -> None:
    user = f"wecom-buttons-{uuid.uuid4().hex[:8]}"
    greeting = requests.post(
        f"{replicas.servers[0].url}/webhooks/rest/webhook",
        json={"sender": f"rest-{uuid.uuid4().hex}", "message": GREETING},
        timeout=60,
    ).json()[0]
    assert greeting.get("buttons"), "the greeting offers buttons"
    assert wecom_post(server(replicas, 0), user, GREETING, msg_id()).status_code == 200
    assert wait_for(wecom_sent_to(fake_api, user))
    assert wecom_post(server(replicas, 1), user, "1", msg_id()).status_code == 200
    wait_for(lambda: said(replicas, user)[1:])
    assert said(replicas, user) == [GREETING, greeting["buttons"][0]["payload"]]
