# The audit log under failing I/O: the production code's calls to these
# libc functions are redirected to the test's fault controller (-Wl,--wrap,
# as libfido2's regress/ does).
bg_unit_test(test_audit_faults SOURCES test_audit_faults.c
  LIBS bg_audit bg_common
  LINK_OPTIONS "-Wl,--wrap=write,--wrap=pwrite,--wrap=fdatasync,--wrap=fsync,--wrap=ftruncate")
