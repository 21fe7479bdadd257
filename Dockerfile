# One image for every role of a Reelsmith deployment: `reelsmith serve --no-worker` (API and web) and
# `reelsmith worker` (the queue consumer). ffmpeg comes from the Python wheels (imageio-ffmpeg, PyAV),
# so the image needs no system ffmpeg. Settings come from the environment (see README, "Scale out").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install ".[postgres,redis,s3]"

# A user of its own, owning nothing but its data dir (scratch files, the local provider's jobs).
RUN useradd --system --create-home --home-dir /home/reelsmith --uid 10001 reelsmith \
    && mkdir -p /data && chown reelsmith /data
USER reelsmith
ENV REELSMITH_DATA_DIR=/data
VOLUME ["/data"]

EXPOSE 8000
# A worker stops on SIGTERM after its running tasks (or hands them back after worker_shutdown_grace_s).
STOPSIGNAL SIGTERM
CMD ["reelsmith", "serve", "--no-worker", "--host", "0.0.0.0", "--port", "8000"]
