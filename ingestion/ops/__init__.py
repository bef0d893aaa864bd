"""Operating the mirror: admin, status page, health check, metrics, schedules."""
