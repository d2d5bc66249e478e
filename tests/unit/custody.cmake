# Recovery-channel custody (broker/custody/): the config parser, every
# rule broken once, stale, failed and forged attestations, on a vault of
# software-keyed descriptors and a real audit log.
bg_unit_test(test_custody SOURCES test_custody.c faketoken.c
  LIBS bg_custody bg_state bg_audit bg_common)
# A helper of tests/e2e/test_custody_cli.sh (not a test): appends a forged
# entry to a log, as someone holding the audit signing key could.
add_executable(test_custody_forge test_custody_forge.c)
target_link_libraries(test_custody_forge PRIVATE bg_audit bg_common)
