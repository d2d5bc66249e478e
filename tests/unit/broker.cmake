# The state directory: audited, atomic files (broker/state.c).
bg_unit_test(test_state SOURCES test_state.c LIBS bg_broker bg_audit bg_common)
