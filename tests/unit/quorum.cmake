# Shamir sharing over GF(2^8) and share commitments (quorum/).
bg_unit_test(test_shamir SOURCES test_shamir.c LIBS bg_quorum bg_common)
# One-time slots and their commitments (quorum/slots.c, commitments.c).
bg_unit_test(test_slots SOURCES test_slots.c LIBS bg_quorum bg_common)
# v2 requests and approval statements, canonical texts (quorum/request2.c,
# statement2.c).
bg_unit_test(test_request2 SOURCES test_request2.c LIBS bg_quorum bg_common)
bg_unit_test(test_statement2 SOURCES test_statement2.c LIBS bg_quorum
  bg_common)
