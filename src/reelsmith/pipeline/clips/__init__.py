"""One clip per scene: submit, poll (re-scheduled, never waiting), fetch, and the join.

A clip goes through `submit` (claim the scene, record the call, send it), `poll` (ask how the job
is doing), `fetch` (download and store the finished clip) and `join` (mark the scene done; the last
one sends its variant to stitching); `failover` decides what a failure leads to. Beside them:
`webhooks` (a provider reports a job's end), `cancel` (stop jobs nobody wants) and `references`
(the user's reference images as local files). Every entry point may run more than once.
"""

from reelsmith.pipeline.clips.cancel import cancel_provider_jobs
from reelsmith.pipeline.clips.poll import poll_scene
from reelsmith.pipeline.clips.submit import submit_scene
from reelsmith.pipeline.clips.webhooks import webhook_received

__all__ = ["cancel_provider_jobs", "poll_scene", "submit_scene", "webhook_received"]
