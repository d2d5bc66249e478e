# Alerts over HTTP (broker/alerts/) without a network: configuration,
# spool files, signatures, payloads, spooling and catch-up on a real log.
# tests/e2e/test_alerts.py covers delivery against a receiver.
bg_unit_test(test_alert SOURCES test_alert.c LIBS bg_alerts bg_audit bg_common)
