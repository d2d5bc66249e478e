# Alerts over HTTP (broker/alert*.c).
