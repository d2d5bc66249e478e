# The state directory: audited, atomic files (broker/state/).
bg_unit_test(test_state SOURCES test_state.c LIBS bg_state bg_audit bg_common)
# The vault's cryptography and file format, with software token keys.
bg_unit_test(test_vault SOURCES test_vault.c faketoken.c
  LIBS bg_vault bg_state bg_audit bg_common)
# v2 item versions in one-time slots (broker/vault/slots.c), attacked with
# the shares of two requests by the test's own code.
bg_unit_test(test_vault_slots SOURCES test_vault_slots.c faketoken.c
  LIBS bg_vault bg_state bg_audit bg_common)
# The client's check of the witnesses' cosignatures on a kit, and the
# breakglass.conf lines it trusts, against kits forged by the test.
bg_unit_test(test_witness_forge SOURCES test_witness_forge.c
  LIBS bg_witness bg_wire bg_audit bg_common)
