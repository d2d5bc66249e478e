# The ledger (broker/ledger/): slots burned, versions exposed and requests
# open or closed, read from a real audit log the test appends to.
bg_unit_test(test_ledger SOURCES test_ledger.c
  LIBS bg_ledger bg_audit bg_quorum bg_common)
