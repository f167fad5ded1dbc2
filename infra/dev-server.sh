#!/bin/sh
# A local Prefect API for development and deployments (loopback, no UI, no telemetry).
export DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false
exec prefect server start --host 127.0.0.1 --port "${PORT:-4200}" --no-ui --analytics-off
