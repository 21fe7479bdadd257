"""The task queue: a Huey instance chosen by URL, Reelsmith's tasks, the consumer and the reaper."""
