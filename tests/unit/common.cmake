bg_unit_test(test_common SOURCES test_common.c LIBS bg_common)
