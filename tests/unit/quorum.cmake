# Shamir sharing over GF(2^8) and share commitments (quorum/).
bg_unit_test(test_shamir SOURCES test_shamir.c LIBS bg_quorum bg_common)
