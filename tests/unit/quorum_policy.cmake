# Custodian-group policies and approval statements (quorum/).
bg_unit_test(test_policy SOURCES test_policy.c LIBS bg_quorum bg_common)
bg_unit_test(test_statement SOURCES test_statement.c LIBS bg_quorum bg_common)
