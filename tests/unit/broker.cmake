# The state directory: audited, atomic files (broker/state/).
bg_unit_test(test_state SOURCES test_state.c LIBS bg_state bg_audit bg_common)
# The vault's cryptography and file format, with software token keys.
bg_unit_test(test_vault SOURCES test_vault.c LIBS bg_vault bg_state bg_audit
  bg_common)
