# bgclock: the fake wall clock (tests/virtual/clock), linked so that the
# clock tests set BG_FAKE_CLOCK_FILE in-process; unset, the real clock.
bg_unit_test(test_audit_log SOURCES test_audit_log.c LIBS bg_audit bg_common bgclock)
bg_unit_test(test_cosig SOURCES test_cosig.c LIBS bg_audit bg_common)
