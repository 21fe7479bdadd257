"""A clip that finished at the provider while the bucket was unreachable is fetched again once the bucket
is back: the job is paid for, so the scene is polled again, never sent to the provider anew.

The bucket is a real S3 server (moto) behind a proxy that refuses and cuts connections, as a bucket
that went away does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from reelsmith.config import Settings
from reelsmith.generations.schemas import GenerationCreate, ProviderChoice
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.vocabulary import Mode
from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.server import CdnServer
from tests.pipeline.helpers import runtime_on, wait_for_end
from tests.support import wait_until
from tests.support.buckets import s3_server
from tests.support.proxy import TcpProxy

BUCKET = "reelsmith-outage"
NEVER = 10**6  # polls after which the fake finishes a job by itself: the test finishes it instead


@pytest.fixture
def bucket() -> Iterator[TcpProxy]:
    """An S3 server with an empty bucket, reached through a proxy that can cut it off."""
    with s3_server(BUCKET) as port:
        proxy = TcpProxy(port).start()
        yield proxy
        proxy.stop()


def test_a_clip_finished_during_a_storage_outage_is_fetched_again_not_made_again(
    settings: Settings,
    sample_mp4: bytes,
    cdn: CdnServer,
    bucket: TcpProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="reelsmith")
    with ReplicateFake(sample_mp4, cdn, polls_needed=NEVER) as fake:
        values = {
            "REPLICATE_API_TOKEN": fake.key,
            "replicate_base_url": fake.base_url,
            "storage_url": f"s3://{BUCKET}/outage",
            "s3_endpoint_url": f"http://127.0.0.1:{bucket.port}",
        }
        with runtime_on(settings, **values) as rt:
            gid = create_generation(
                rt,
                ensure_local_user(rt),
                GenerationCreate(
                    mode=Mode.VIDEO,
                    prompt="A paper boat on a puddle",
                    duration_s=4,
                    providers=ProviderChoice(video="replicate"),
                ),
                bill=False,
            )
            wait_until(lambda: fake.jobs, message="the clip to be sent to the provider")
            bucket.cut()
            for job in list(fake.jobs.values()):
                job.polls = job.polls_needed  # the provider finishes it while the bucket is away
            wait_until(
                lambda: "failed transiently" in caplog.text,
                message="the fetch that met the outage to be put off to a later poll",
            )
            downloads_during_outage = len(cdn.calls("file"))
            bucket.mend()
            data = wait_for_end(rt, gid, timeout_s=60)

    assert data["status"] == "completed", data["error_message"]
    assert len(fake.calls("create")) == 1  # sent once, paid once
    assert len(fake.jobs) == 1
    assert len(cdn.calls("file")) > downloads_during_outage >= 1  # downloaded again once it could be kept
