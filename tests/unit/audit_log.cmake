bg_unit_test(test_audit_log SOURCES test_audit_log.c LIBS bg_audit bg_common)
