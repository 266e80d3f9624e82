"""gunicorn settings for the `web` process, from the environment (see .env.example)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# ASGI (settings.asgi) through uvicorn's worker: streaming responses wait as coroutines, sync views run in
# threads. GUNICORN_WORKER_CLASS=sync with settings.wsgi serves WSGI instead (no streaming).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "uvicorn_worker.UvicornWorker"
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 20
# Recycle workers now and then (bounded memory growth). A new worker imports the app again (about 2 s of CPU),
# so the count must be large next to a worker's request rate: at 5,000 a process ingesting 1,000 clicks/s spent
# some 40 % of its CPU restarting (the clicks bench). The jitter keeps processes from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 100_000)
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# The load balancer terminates TLS and sets X-Forwarded-For/-Proto; Django decides whom to trust.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
