bg_unit_test(test_common SOURCES test_common.c LIBS bg_common)
bg_unit_test(test_box SOURCES test_box.c LIBS bg_common)
