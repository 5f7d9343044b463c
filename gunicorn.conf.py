"""gunicorn settings for RIF Work-up: `gunicorn -c gunicorn.conf.py workup.wsgi`.

Every value can be overridden from the environment, so several app servers behind a load
balancer share one file. The app keeps nothing in process memory between requests (sessions are
in the database), so any worker on any host can answer any request.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never grows unbounded.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
preload_app = True

# Access log without query strings: a search like /patients/?q=<name> must not put a patient's
# name in a log line. %(U)s is the path only; %(M)s the request time in milliseconds.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'

# Behind a load balancer that sets X-Forwarded-For / -Proto, name its addresses here.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
